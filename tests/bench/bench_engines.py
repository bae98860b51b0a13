"""The same first night on every build engine (``make bench-engines``): what moving off DuckDB costs on one
machine, measured the way ``make bench`` measures nights.

One generated organisation (``data/bench-<scale>``, made once, shared with ``make bench``), then, one engine
after the other on the same machine, ``roi-ledger run --engine E`` on a data directory of its own whose raw
files are hard links to the generated ones (never written): wall time, peak resident memory of the run's whole
process tree (a PostgreSQL server runs outside it: the engine's throwaway server when
``$ROI_LEDGER_POSTGRES_URL`` is unset), the Dagster step durations and dbt's ten slowest nodes. Every engine's
published staging and mart tables are then compared with the first engine's (rows, money exactly, floats to
1e-9 relative: :mod:`tests.tools.compare_builds`), so a figure is only kept for a night that published the
same numbers. Results go to ``DIR/bench/engines-<timestamp>.json``.

Usage: ``python -m tests.bench.bench_engines [--scale large] [--engines duckdb,postgres,spark] [--data-dir DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.bench.bench_nights import AS_OF, generate, measured, slowest_dbt_nodes, step_durations

ENGINES = ("duckdb", "postgres", "spark")
BENCH_PSEUDONYM_KEY = "bench-engines-not-a-secret"
#: Columns that record the run itself (when a file was ingested), not a figure: two nights never share them
RUN_COLUMNS = ("_ingested_at",)
REPO = Path(__file__).resolve().parents[2]


def link_tree(src: Path, dst: Path) -> int:
    """Hard-link every file under ``src`` to the same place under ``dst`` (copied where links cannot be made);
    returns the files linked."""
    n = 0
    for path in sorted(src.rglob("*")):
        if not path.is_file():
            continue
        target = dst / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
        n += 1
    return n


def night_on(engine: str, raw: Path, root: Path) -> dict[str, Any]:
    """A first night on ``engine`` in a new data directory ``root/<engine>`` over the files of ``raw``."""
    data_dir = root / engine
    shutil.rmtree(data_dir, ignore_errors=True)
    files = link_tree(raw, data_dir / "raw")
    dagster_home = data_dir / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO / "dagster.yaml", dagster_home)  # as `make demo` does
    cli = str(Path(sys.executable).with_name("roi-ledger"))
    cmd = [cli, "run", "--data-dir", str(data_dir), "--as-of", AS_OF.isoformat(), "--engine", engine]
    # one pseudonym key for every engine: each data directory would make its own, and the pseudonymised
    # columns of two engines' releases could not be compared
    run = measured(cmd, env={"DAGSTER_HOME": str(dagster_home), "ROI_LEDGER_PSEUDONYM_KEY": BENCH_PSEUDONYM_KEY})
    assert run["returncode"] == 0, f"{engine}: {run['output_tail']}"
    return {
        **run,
        "engine": engine,
        "raw_files": files,
        "data_dir": str(data_dir),
        "steps": step_durations(dagster_home),
        "dbt_slowest": slowest_dbt_nodes(data_dir),
    }


def table(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(engine, wall time, peak tree RSS, same figures as the first engine) rows (pure: tested)."""
    rows = []
    for engine in result["engines"]:
        night = result[engine]
        same = night.get("differences_from_first")
        rows.append(
            (
                engine,
                f"{night['seconds']:.0f} s",
                f"{night['peak_tree_rss_bytes'] / 1e9:.2f} GB",
                "-" if same is None else ("yes" if not same else f"no: {len(same)} table(s)"),
            )
        )
    return rows


def main() -> int:
    from tests.tools.compare_builds import differences

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", default="large", choices=("small", "medium", "large"))
    p.add_argument("--engines", default=",".join(ENGINES), help="comma-separated, the first is the reference")
    p.add_argument("--data-dir", help="generated once, then reused (default data/bench-<scale>)")
    args = p.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        p.error(f"unknown engine(s): {', '.join(unknown)}")
    data_dir = Path(args.data_dir or f"data/bench-{args.scale}").resolve()
    result: dict[str, Any] = {
        "scale": args.scale,
        "as_of": AS_OF.isoformat(),
        "cpus": os.cpu_count(),
        "engines": engines,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "generate_seconds": generate(data_dir, args.scale),
    }
    root = data_dir / "bench" / "engines"
    out = data_dir / "bench" / f"engines-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    for engine in engines:
        result[engine] = night_on(engine, data_dir / "raw", root)
        print(f"{engine}: {result[engine]['seconds']:.1f} s, {result[engine]['last_line']}", flush=True)
        out.write_text(json.dumps(result, indent=1, default=str))  # each night kept as it ends
    first = root / engines[0] / "published" / "roi.duckdb"
    for engine in engines[1:]:
        found = differences(
            first, root / engine / "published" / "roi.duckdb", schemas=("staging", "marts"), ignore=RUN_COLUMNS
        )
        result[engine]["differences_from_first"] = found
    out.write_text(json.dumps(result, indent=1, default=str))
    print(f"\nfirst nights at the {args.scale} scale ({os.cpu_count()} cores); results in {out}")
    print(f"{'engine':<10} {'wall time':<10} {'peak RSS':<10} same figures as {engines[0]}")
    for row in table(result):
        print(f"{row[0]:<10} {row[1]:<10} {row[2]:<10} {row[3]}")
    for engine in engines:
        print(f"\n{engine}, Dagster steps (s):")
        for step, seconds in sorted(result[engine]["steps"].items(), key=lambda kv: -kv[1])[:8]:
            print(f"  {seconds:>8.1f}  {step}")
        print(f"{engine}, dbt's ten slowest nodes (s):")
        for r in result[engine]["dbt_slowest"]:
            print(f"  {r['seconds']:>8.1f}  {r['layer']}: {r['node']}")
    return 0 if all(not result[e].get("differences_from_first") for e in engines[1:]) else 1


if __name__ == "__main__":
    sys.exit(main())
