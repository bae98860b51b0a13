"""The night's fingerprint, taken before any dbt work: a night whose inputs, code and settings equal the last
published release's records ``unchanged`` and stops there.

The fingerprint (:func:`orchestration.publish.fingerprint`) is made of the landed input files (dataset, path,
SHA-256, after the night's ingest, which lands only new or restated files), the dbt code (every node's
checksum in the manifest), the pipeline's own code (the package's source files: ingest rules, gates and the
scenario model change a release as much as SQL does), the dbt vars (the as-of date) and the scenario model's
parameters (seed, iterations, model version). The release step computes the same fingerprint from the same
parts, so a night that goes on to publish records exactly what this gate would have compared.

Asset ``release/night_fingerprint`` writes no dataset of its own (lineage names none for it: metadata
``openlineage/dataset`` is ``none``) and runs after every ingest asset (and so after their blocking checks) and
before the first dbt layer. When the fingerprint equals the last ``published`` release's and the published
file is the one that release wrote (same SHA-256), it records an ``unchanged`` release and yields no output:
Dagster skips every step downstream of it (dbt layers, scenario model, their checks, the release step), so an
empty night costs its ingest (hashing files already landed) and nothing else. Otherwise it yields its output
and the night runs in full.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
#: Source files of the pipeline whose content is part of a release's code (caches and bytecode are not).
CODE_SUFFIXES = (".py", ".json", ".yml", ".yaml", ".sql", ".csv", ".md")


@cache
def pipeline_code_checksum(root: Path = ROOT) -> str:
    """SHA-256 over the package's own source files (relative path and content), so that a change of ingest
    rules, gates or the scenario model is a new release even when no dbt node changed. Cached: the code of a
    running process does not change under it."""
    h = hashlib.sha256()
    for path in sorted(
        p for p in root.rglob("*") if p.is_file() and p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts
    ):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


@cache
def code_checksum(manifest_path: Path) -> str:
    """Checksum of every dbt node's SQL and config, of the project's macros (a macro is as much a release's code
    as the model calling it) and of the pipeline's own source files (:func:`pipeline_code_checksum`): a change
    of code is a new release, and rebuilds every incremental model (dbt var ``code_version``). Cached per
    manifest path: the manifest of a running process does not change under it."""
    manifest = json.loads(manifest_path.read_text())
    parts = sorted(f"{uid}:{n.get('checksum', {}).get('checksum', '')}" for uid, n in manifest["nodes"].items())
    parts += sorted(
        f"{uid}:{hashlib.sha256(m.get('macro_sql', '').encode()).hexdigest()}"
        for uid, m in manifest.get("macros", {}).items()
        if m.get("package_name") == manifest.get("metadata", {}).get("project_name")
    )
    parts.append(f"pipeline:{pipeline_code_checksum()}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def scenario_parameters(seed: int, iterations: int, model_version: str) -> list[dict[str, Any]]:
    """The scenario model's parameters as the release fingerprint holds them, from run config here and from the
    build database in :func:`orchestration.publish.model_parameters` (one shape, so both compare) (pure: tested)."""
    return [
        {"model": "scenario_model", "seed": int(seed), "iterations": int(iterations), "model_version": model_version}
    ]


@dataclass(frozen=True)
class Verdict:
    """What the gate decided: ``unchanged`` (stop) or ``changed`` (run), and why, for the asset's metadata."""

    unchanged: bool
    fingerprint: str
    previous_release: str | None
    reason: str
    files_new: list[str]
    files_gone: list[str]


def compare(
    files: list[dict[str, str]],
    fp: str,
    previous: dict[str, Any] | None,
    published_sha256: str | Callable[[], str | None] | None,
    *,
    full_refresh: bool = False,
) -> Verdict:
    """The gate's decision from the night's landed files and fingerprint, the last published release record
    and the SHA-256 of the published file as it is now (None: no file), or the function that reads it: it is
    read only when everything else is equal (hashing a published file of 1.5 GB takes 1 s from the page cache,
    4 s from disk, and a night with new files never needs it); a full refresh always runs (pure: tested)."""
    if previous is None:
        return Verdict(False, fp, None, "no release published yet", [], [])
    if full_refresh:
        return Verdict(False, fp, previous["release_id"], "full refresh requested", [], [])
    before = {(f["dataset"], f["source_file"], f["file_sha256"]) for f in json.loads(previous["input_files"])}
    now = {(f["dataset"], f["source_file"], f["file_sha256"]) for f in files}
    new = sorted(f"{d}: {s} ({h[:12]})" for d, s, h in now - before)
    gone = sorted(f"{d}: {s} ({h[:12]})" for d, s, h in before - now)
    rid = previous["release_id"]
    if previous["input_fingerprint"] != fp:
        why = (
            f"{len(new)} new or restated input file(s), {len(gone)} superseded"
            if new or gone
            else "code, as-of date or scenario settings differ from release " + rid
        )
        return Verdict(False, fp, rid, why, new, gone)
    if callable(published_sha256):
        published_sha256 = published_sha256()
    if published_sha256 is None:
        return Verdict(False, fp, rid, "the published file is missing", [], [])
    if published_sha256 != previous["published_sha256"]:
        return Verdict(False, fp, rid, "the published file is not the one release " + rid + " wrote", [], [])
    return Verdict(True, fp, rid, "same inputs, code and settings as release " + rid, [], [])
