"""``roi-ledger report``: build a release's report again (the current one, or an older one from its snapshot)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestration import report
from orchestration.settings import DATA_DIR_ENV, Paths, connect_duckdb, resolve_data_dir


def add_report_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "report",
        help="write a release's report (one HTML file that opens offline)",
        description="Write the report of the current published release (DIR/published/report/index.html, and "
        "its copy beside the release's snapshot), or of --release ID from its snapshot "
        "(DIR/published/releases/ID.html). Every publish writes it already; this builds it again.",
    )
    p.add_argument("--data-dir", help=f"data directory (default ${DATA_DIR_ENV} or ./data)")
    p.add_argument("--release", metavar="RELEASE_ID", help="an older release, built from its snapshot")
    p.add_argument("--output", metavar="PATH", help="write here instead")
    p.set_defaults(func=cmd_report)
    return p


def cmd_report(args: argparse.Namespace) -> int:
    """0 written, 1 no such release or snapshot."""
    from orchestration.publish import get_release

    paths = Paths(resolve_data_dir(args.data_dir))
    if args.release:
        source = paths.release_snapshots / f"{args.release}.duckdb"
        release_id = args.release
    else:
        source = paths.published_db
        release_id = None
    if not source.exists():
        what = f"release {args.release}: no snapshot at {source}" if args.release else f"no published file at {source}"
        print(f"roi-ledger report: {what} (roi-ledger releases lists what is kept)", file=sys.stderr)
        return 1
    from orchestration.report import figures

    try:
        fig = figures.load(source)
    except ValueError as exc:
        print(f"roi-ledger report: {exc}", file=sys.stderr)
        return 1
    release_id = release_id or fig.release["release_id"]
    recorded = get_release(paths, release_id) if paths.build_db.exists() else None
    html = report.render_figures(fig, paths.data_dir, (recorded or {}).get("published_sha256"))
    if args.output:
        dest = report.write_atomically(html, Path(args.output).resolve())
    else:
        dest = report.write_atomically(html, report.release_report(paths, release_id))
        # the published file's own release, read again only when the report was built from a snapshot
        if not args.release:
            current = fig.release["release_id"]
        else:
            current = _current_id(paths) if paths.published_db.exists() else None
        if current == release_id:
            dest = report.point_at(paths, release_id)
    print(f"report: {dest}")
    return 0


def _current_id(paths: Paths) -> str | None:
    from orchestration.report import figures

    con = connect_duckdb(paths.published_db, read_only=True)
    try:
        return figures.release_record(con)["release_id"]
    finally:
        con.close()
