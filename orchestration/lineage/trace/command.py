"""``roi-ledger trace``: its arguments, its text, its command (orchestration/cli.py registers it)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from orchestration.lineage.trace.declarations import DEFAULT_LIMIT, TraceError
from orchestration.nightly import ensure_manifest
from orchestration.settings import DATA_DIR_ENV, Paths, resolve_data_dir

if TYPE_CHECKING:
    from orchestration.lineage.trace.walker import TraceResult


def format_result(result: TraceResult) -> str:
    """The text `roi-ledger trace` prints (pure: tested)."""
    out = [
        f"trace marts.{result.mart}  " + "  ".join(f"{k}={v}" for k, v in result.keys.items()),
        f"published file: {result.published_file}" + (f" (release {result.release_id})" if result.release_id else ""),
    ]
    out.append("\nsteps (relation: rows matched, raw lines):")
    for s in result.steps:
        figures = f"{s.rows} row(s)" + (f", {s.lines} line(s)" if s.lines is not None else ", followed")
        out.append(f"  {s.path}: {figures}" + (f"  -- {s.note}" if s.note else ""))
    if not result.total_lines:
        out.append("\nno raw lines: no input of this row carries a source line (e.g. a month without activity)")
    else:
        shown = len(result.lines)
        tail = f"; {result.omitted} left out (--limit N to see more, --json for tooling)" if result.omitted else ""
        out.append(f"\n{result.total_lines} raw line(s) behind the row, {shown} shown{tail}")
    current, step = None, None
    for rl in result.lines:
        if (rl.step, rl.step_note) != step:
            step, current = (rl.step, rl.step_note), None
            out.append(f"\n-- via {rl.step}" + (f": {rl.step_note}" if rl.step_note else ""))
        if rl.file != current:
            current = rl.file
            if rl.origin == "seed":
                where = f"dbt_project/{rl.file}  (a seed file of the dbt project, not a raw export; {rl.format})"
            else:
                where = f"raw/{rl.file}  ({rl.format or 'unknown format'})"
            out.append(where)
            if rl.file in result.headers:
                out.append(f"  header: {result.headers[rl.file]}")
        label = "record" if rl.format in ("json", "parquet") else "line"
        span = f"-{rl.end_line}" if rl.end_line and rl.end_line != rl.line else ""
        text = rl.content if rl.content is not None else f"[{rl.note or 'content unavailable'}]"
        extra = f"  [{rl.note}]" if rl.content is not None and rl.note else ""
        out.append(f"  {label} {rl.line}{span}: {text}{extra}")
    if result.warnings:
        out.append("\nwarnings:")
        out.extend(f"  {w}" for w in result.warnings)
    return "\n".join(out)


def parse_key_args(items: Sequence[str]) -> dict[str, str]:
    """``COLUMN=VALUE`` arguments as a mapping; refuses a malformed or repeated column (pure: tested)."""
    keys: dict[str, str] = {}
    for item in items:
        column, sep, value = item.partition("=")
        column = column.strip()
        if not sep or not column:
            raise TraceError(f"--key takes COLUMN=VALUE, got {item!r}")
        if column in keys:
            raise TraceError(f"--key {column} given twice")
        keys[column] = value
    return keys


def _non_negative(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {value!r}")
    return n


def add_trace_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``roi-ledger trace`` on the CLI's subparsers."""
    p = subparsers.add_parser(
        "trace",
        help="print the raw lines behind one row of a mart",
        description="Print the raw export lines (file, line, content) behind one row of a published mart, "
        "following the mart's trace declaration (meta.trace in its dbt YAML) over the published "
        "file (opened read-only). Seed-derived rows show the seed file line under dbt_project/.",
    )
    p.add_argument("--data-dir", help=f"data directory (default ${DATA_DIR_ENV} or ./data)")
    p.add_argument("--mart", required=True, help="mart name, e.g. fct_efficiency_roi")
    p.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="a key column of the row (repeat for each; the mart's key columns are listed when one is "
        "missing). Personal-data columns (meta pii) take the published hash value (pii_...), as "
        "the published file shows it; an empty value (COLUMN=) matches NULL",
    )
    p.add_argument(
        "--limit",
        type=_non_negative,
        default=DEFAULT_LIMIT,
        help=f"most raw lines to print with content (default {DEFAULT_LIMIT}); every line is counted",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_trace)
    return p


def cmd_trace(args: argparse.Namespace) -> int:
    """``roi-ledger trace``: 0 traced, 1 row or release not found, 2 bad usage."""
    from orchestration.lineage.trace.walker import trace_row

    try:
        keys = parse_key_args(args.key)
        ensure_manifest()
        result = trace_row(Paths(resolve_data_dir(args.data_dir)), args.mart, keys, args.limit)
    except TraceError as exc:
        print(f"roi-ledger trace: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, default=str))
    else:
        print(format_result(result))
    return 0
