"""The release report: one self-contained HTML page per published release, for the people who own the three
ledgers (``DIR/published/report/index.html``, and ``DIR/published/releases/<release>.html`` beside each
snapshot). Built only from the release file; written whole, then renamed into place, so a reader never sees half a
report and a blocked night leaves the last one as it was.

- figures.py: what the report shows, read from the release file (exact values)
- charts.py: the charts, Vega-Lite rendered to inline SVG offline
- render.py: the page (Jinja2 template report.html.j2)
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.publish_export import fsync_dir
from orchestration.settings import Paths

if TYPE_CHECKING:
    from orchestration.report.figures import Figures


def build_report(published_file: Path, data_dir: Path, published_sha256: str | None = None) -> str:
    """The report's HTML for one release file (the published file or a release snapshot)."""
    from orchestration.report import figures

    return render_figures(figures.load(published_file), data_dir, published_sha256)


def render_figures(fig: Figures, data_dir: Path, published_sha256: str | None = None) -> str:
    from orchestration.report import render

    return render.render(fig, data_dir, published_sha256)


def write_atomically(text: str, dest: Path) -> Path:
    """Write ``dest`` whole (temporary name, fsync, rename), read-only like the release files."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        part.unlink()
    with open(part, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(part, 0o444)
    os.replace(part, dest)
    fsync_dir(dest.parent)
    return dest


def release_report(paths: Paths, release_id: str) -> Path:
    """Where a release's own report is kept: beside its snapshot."""
    return paths.release_snapshots / f"{release_id}.html"


def keep_release_report(paths: Paths, release_file: Path, release_id: str, published_sha256: str | None) -> Path:
    """Before the swap: the report of the release about to be published, kept beside its snapshot."""
    html = build_report(release_file, paths.data_dir, published_sha256)
    return write_atomically(html, release_report(paths, release_id))


def point_at(paths: Paths, release_id: str | None) -> Path:
    """After the swap: ``published/report/index.html`` becomes the release's report (a hard link where the
    filesystem allows, renamed into place); with no report (``ROI_LEDGER_REPORT=off``) it is removed, so it never
    shows a release older than the published file."""
    dest = paths.published_report
    if release_id is None:
        dest.unlink(missing_ok=True)
        return dest
    src = release_report(paths, release_id)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.{release_id}.tmp")
    with contextlib.suppress(FileNotFoundError):
        part.unlink()
    try:
        os.link(src, part)
    except OSError:
        part.write_bytes(src.read_bytes())
        os.chmod(part, 0o444)
    os.replace(part, dest)
    fsync_dir(dest.parent)
    return dest


def prune(paths: Paths) -> list[Path]:
    """Remove the reports of releases whose snapshot is gone (release retention), and half-written ones."""
    root = paths.release_snapshots
    if not root.is_dir():
        return []
    gone = []
    for report in sorted(root.glob("*.html")) + sorted(root.glob(".*.html.tmp")):
        if report.name.startswith(".") or not report.with_suffix(".duckdb").exists():
            report.unlink()
            gone.append(report)
    return gone
