"""Ingest benchmark (``make bench``): the large demo scale's usage events through the real ingest.

Figures are reported as ratios against baselines measured in the same command, never as absolute
pass/fail times:
- time ratio: our ingest (stream, contract check in SQL, land, provenance) / DuckDB's own ``read_csv`` of
  the same files into a table (no checks, no provenance);
- memory: peak RSS of the ingest subprocess / total size of the files ingested, and / the same for the
  baseline subprocess.

Usage: ``python -m tests.bench.bench_ingest [--scale large] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

DATASET = "usage/litellm_spend_logs"


def _child(mode: str, data_dir: str) -> None:
    from orchestration import datasets
    from orchestration.ingest import engine

    ds = datasets.get(DATASET)
    raw = Path(data_dir) / "raw"
    files = engine.discover(raw, ds)
    t0 = time.perf_counter()
    if mode == "ingest":
        con = engine.connect(Path(data_dir) / "bench_ingest.duckdb")
        res = engine.ingest_dataset(con, raw, ds)
        rows = res.rows_accepted
        con.close()
    else:
        from orchestration.settings import connect_duckdb

        # the same memory cap as the pipeline's connections, so the memory ratio compares like with like
        con = connect_duckdb(Path(data_dir) / "bench_baseline.duckdb")
        csvs = [str(f) for f in files if f.name.endswith((".csv", ".csv.gz"))]
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, all_varchar = true, header = true)", [csvs])
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
        con.close()
    elapsed = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = sum(f.stat().st_size for f in files)
    print(
        json.dumps(
            {"mode": mode, "rows": rows, "seconds": elapsed, "peak_rss_bytes": peak_kib * 1024, "file_bytes": size}
        )
    )


def _run_child(mode: str, data_dir: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_ingest", "--child", mode, str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--scale", default="large", choices=("small", "medium", "large"))
    p.add_argument("--keep", help="reuse/keep the generated data in this directory")
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        _child(*args.child)
        return 0
    from roi_ledger_demo import generate

    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="roi_bench_"))
    if not (tmp / "raw" / DATASET).exists():
        t0 = time.perf_counter()
        generate(tmp, seed=42, scale=args.scale, months=12, as_of=date(2026, 10, 31))
        print(f"generated scale={args.scale} in {time.perf_counter() - t0:.1f} s")
    for name in ("bench_ingest.duckdb", "bench_baseline.duckdb"):
        (tmp / name).unlink(missing_ok=True)
    base = _run_child("baseline", tmp)
    ours = _run_child("ingest", tmp)
    gib = 1024**3
    print(f"\n{DATASET}: {ours['rows']:,} rows, {ours['file_bytes'] / gib:.2f} GiB of files")
    print(
        f"baseline (DuckDB read_csv into a table): {base['rows']:,} rows, {base['seconds']:.1f} s, "
        f"peak RSS {base['peak_rss_bytes'] / gib:.2f} GiB"
    )
    print(
        f"ingest (stream + contract + land):      {ours['rows']:,} rows, {ours['seconds']:.1f} s, "
        f"{ours['rows'] / ours['seconds']:,.0f} rows/s, peak RSS {ours['peak_rss_bytes'] / gib:.2f} GiB"
    )
    print(f"time ratio ingest/baseline: {ours['seconds'] / base['seconds']:.2f}x")
    print(
        f"peak RSS / file bytes: ingest {ours['peak_rss_bytes'] / ours['file_bytes']:.2f}, "
        f"baseline {base['peak_rss_bytes'] / base['file_bytes']:.2f}"
    )
    if not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
