"""Render ``docs/datasets.md`` from the dataset registry (``make generate``).

A test asserts the committed file equals the rendering, so the documentation cannot drift from the
contracts the ingest enforces.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.datasets import DATASETS, FIELD_TYPES, NULL_TOKENS, Dataset
from orchestration.ingest.landing import PROVENANCE_COLUMNS, extra_column

DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "datasets.md"


def _esc(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_dataset(ds: Dataset) -> str:
    lines = [
        f"## {ds.key}: {ds.title}",
        "",
        ds.description,
        "",
        f"- landing folder: `raw/{ds.folder}/` (files in any sub-folder; `.gz` accepted)",
        f"- formats: {', '.join(ds.formats)}"
        + (f" (JSON layout: `{ds.json_layout}`" if ds.is_json else "")
        + (f", records under `{ds.json_records_key}`" if ds.json_records_key else "")
        + (")" if ds.is_json else ""),
        f"- landing table: `{ds.table}`; staging model: `stg_{ds.system}__{ds.name}`",
        f"- natural key: {', '.join(f'`{k}`' for k in ds.natural_key)}",
        f"- owner: {ds.owner}",
        *(["- optional: not in use while no file of it is found (its checks pass, saying so)"] if ds.optional else []),
        f"- null sentinels: {', '.join(f'`{t}`' if t else 'empty' for t in ds.null_tokens)}",
        "",
        "| column | from | type | required | allowed values | description |",
        "|---|---|---|---|---|---|",
    ]
    for f in ds.fields:
        src = " / ".join(f"`{s}`" for s in (f.source, *f.aliases))
        allowed = ", ".join(f.allowed) if len(f.allowed) <= 12 else f"{len(f.allowed)} values (FOCUS 1.2 list)"
        lines.append(
            f"| `{f.name}` | {src} | {f.type} ({FIELD_TYPES[f.type]}) | {f.required_text} "
            f"| {_esc(allowed)} | {_esc(f.description)} |"
        )
    extra = extra_column(ds)
    what = (
        "JSON records: the whole record; CSV rows: the columns the contract does not name"
        if extra == "_record"
        else "columns the contract does not name"
    )
    lines.append(f"| `{extra}` | | JSON | | | {what} |")
    lines.append("")
    return "\n".join(lines)


def render() -> str:
    head = [
        "# Datasets",
        "",
        "Generated from `orchestration/datasets.py` by `make generate` (orchestration/codegen.py); do not edit by "
        "hand.",
        "File formats, including the project's own CSV formats, are described in [FORMATS.md](FORMATS.md).",
        "",
        f"Every dataset's null sentinels include {', '.join(f'`{t}`' if t else 'empty' for t in NULL_TOKENS)}. "
        "Every landing row carries the provenance columns " + ", ".join(f"`{c}`" for c, _ in PROVENANCE_COLUMNS) + ".",
        "",
        "| dataset | title | formats | owner |",
        "|---|---|---|---|",
        *[f"| `{d.key}` | {d.title} | {', '.join(d.formats)} | {d.owner} |" for d in DATASETS],
        "",
    ]
    return "\n".join(head) + "\n" + "\n".join(render_dataset(d) for d in DATASETS)


def generated_files() -> dict[Path, str | None]:
    """The file this generator writes, with its text."""
    return {DOC_PATH: render()}
