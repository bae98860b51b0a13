"""Nights against the floor (``make bench``): what a night costs, measured the way users judge it.

In one command, on one data directory (generated once at the chosen scale, then reused):
1. the floor (:mod:`tests.bench.floor`: one DuckDB statement over the LiteLLM files), before and after the nights;
2. the first night (``roi-ledger run`` on a fresh warehouse);
3. an empty night (the same inputs again), twice: through the Dagster run (``--no-preflight``: the scheduled
   job's path, whose night gate records ``unchanged`` after the ingest steps), then as ``roi-ledger run`` takes it
   (the preflight records ``unchanged`` without a run);
4. a new-day night: the first two run on the history with its last day held back (:mod:`tests.bench.newday`),
   as of the day before; then that day arrives as new files of every event dataset.
Each with wall time and the peak resident memory of its whole process tree (sampled from ``/proc`` every 0.2 s).
It prints a table of ratios (first night / floor, empty night seconds, peak RSS / DuckDB cap), the first night's
Dagster step durations and dbt's ten slowest nodes, checks that the floor and the published mart agree on LiteLLM
cost and requests (the floor is only a floor if it computes the same numbers), and keeps everything in
``DIR/bench/<timestamp>.json`` so runs can be compared.

Usage: ``python -m tests.bench.bench_nights [--scale large] [--data-dir DIR]`` (default ``data/bench-<scale>``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from orchestration.settings import memory_cap_bytes
from tests.bench import newday

AS_OF = date(2026, 10, 31)
SAMPLE_SECONDS = 0.2


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and every living descendant (``/proc``; 0 for a process already gone)."""
    return sum(tree_rss_by_process(pid).values())


def tree_rss_by_process(pid: int) -> dict[str, int]:
    """Resident bytes of ``pid`` and each living descendant, by ``<pid> <command line>`` (first 80 chars)."""
    from orchestration.childguard import descendants

    out: dict[str, int] = {}
    for p in [pid, *descendants(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    out[f"{p} {cmd.strip()[:80]}"] = int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
    return out


def measured(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``cmd``; its wall seconds, exit code, peak tree RSS and last output line."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})}
    )
    peak: list[Any] = [0, {}, 0.0, 0.0]  # bytes, by process, seconds into the run, epoch

    def sample() -> None:
        while proc.poll() is None:
            by_process = tree_rss_by_process(proc.pid)
            if sum(by_process.values()) > peak[0]:
                peak[:] = [sum(by_process.values()), by_process, time.perf_counter() - t0, time.time()]
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    sampler.join()
    lines = out.strip().splitlines()
    return {
        "seconds": time.perf_counter() - t0,
        "returncode": proc.returncode,
        "peak_tree_rss_bytes": peak[0],
        "peak_rss_by_process": peak[1],
        "peak_at_seconds": round(peak[2], 1),
        "peak_epoch": peak[3],
        "last_line": lines[-1] if lines else "",
        "output_tail": "\n".join(lines[-15:]),
    }


def step_windows(dagster_home: Path) -> dict[str, tuple[float, float]]:
    """(start, end) epoch seconds per Dagster step of the latest run recorded in ``dagster_home``."""
    from dagster import DagsterInstance

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    instance = DagsterInstance.get()
    runs = instance.get_runs(limit=1)
    if not runs:
        return {}
    stats = instance.get_run_step_stats(runs[0].run_id)
    # A skipped step (after the night gate stopped a night) has no start time.
    return {s.step_key: (s.start_time, s.end_time) for s in stats if s.start_time and s.end_time}


def step_durations(dagster_home: Path) -> dict[str, float]:
    """Seconds per Dagster step of the latest run recorded in ``dagster_home``."""
    return {k: round(end - start, 2) for k, (start, end) in step_windows(dagster_home).items()}


def steps_at(dagster_home: Path, epoch: float) -> list[str]:
    """The Dagster steps of the latest run that were running at ``epoch`` (where a peak was sampled)."""
    return sorted(k for k, (start, end) in step_windows(dagster_home).items() if start <= epoch <= end)


def slowest_dbt_nodes(data_dir: Path, n: int = 10) -> list[dict[str, Any]]:
    from orchestration.settings import Paths

    nodes = []
    for results in sorted(Paths(data_dir).dbt_target.glob("*/run_results.json")):
        for r in json.loads(results.read_text())["results"]:
            nodes.append(
                {"layer": results.parent.name, "node": r["unique_id"], "seconds": round(r["execution_time"], 2)}
            )
    return sorted(nodes, key=lambda r: -r["seconds"])[:n]


def litellm_totals(published: Path, floor_parquet: Path) -> dict[str, list]:
    import duckdb

    con = duckdb.connect(str(published), read_only=True)
    try:
        mart = con.execute(
            "SELECT sum(cost_amount), sum(request_count) FROM marts.fct_ai_usage "
            "WHERE source_dataset = 'usage/litellm_spend_logs'"
        ).fetchone()
        floor = con.execute("SELECT sum(cost), sum(requests) FROM read_parquet(?)", [str(floor_parquet)]).fetchone()
    finally:
        con.close()
    return {"mart": [str(v) for v in mart], "floor": [str(v) for v in floor]}


#: What ``roi-ledger run`` prints when the preflight recorded the night without a Dagster run.
NO_RUN = "no run:"


def ratios(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(measure, value, target) rows of the summary table (pure: tested)."""
    floors = [f["seconds"] for f in result["floor"]]
    first, empty, new_day = result["first_night"], result["empty_night"], result.get("new_day_night")
    in_run = result.get("empty_night_in_run")
    cap = result["duckdb_memory_cap_bytes"]
    peak = max(n["peak_tree_rss_bytes"] for n in (first, empty, in_run, new_day) if n)
    day = (
        [
            (
                "new-day night / first night",
                f"{new_day['seconds'] / first['seconds']:.2f} ({new_day['seconds']:.0f} s / {first['seconds']:.0f} s)",
                "<= 0.1",
            )
        ]
        if new_day
        else []
    )
    return [
        (
            "first night / floor",
            f"{first['seconds'] / max(floors):.1f}x to {first['seconds'] / min(floors):.1f}x "
            f"({first['seconds']:.0f} s / {min(floors):.0f}-{max(floors):.0f} s)",
            "<= 4x",
        ),
        ("empty night", f"{empty['seconds']:.1f} s", "<= 15 s"),
        *(
            [
                (
                    "empty night through Dagster",
                    f"{in_run['seconds']:.1f} s (--no-preflight: the scheduled job's path)",
                    "-",
                )
            ]
            if in_run
            else []
        ),
        *day,
        (
            "peak tree RSS / DuckDB cap",
            f"{peak / cap:.2f} ({peak / 1e9:.2f} GB / {cap / 1e9:.1f} GB)",
            f"<= {(cap + 1e9) / cap:.2f} (cap + 1 GB)",
        ),
    ]


def generate(data_dir: Path, scale: str) -> float | None:
    """Generate the demo organisation at ``scale`` into ``data_dir/raw`` (seed 42, as of :data:`AS_OF`) unless it
    is there; the seconds it took, or None when it was there."""
    if (data_dir / "raw").is_dir():
        return None
    cli = str(Path(sys.executable).with_name("roi-ledger"))
    gen = measured(
        [cli, "generate", "--data-dir", str(data_dir), "--scale", scale, "--seed", "42", "--as-of", AS_OF.isoformat()]
    )
    assert gen["returncode"] == 0, gen["output_tail"]
    return gen["seconds"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", default="large", choices=("small", "medium", "large"))
    p.add_argument("--data-dir", help="generated once, then reused (default data/bench-<scale>)")
    args = p.parse_args()
    data_dir = Path(args.data_dir or f"data/bench-{args.scale}").resolve()
    bench_dir = data_dir / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "scale": args.scale,
        "data_dir": str(data_dir),
        "as_of": AS_OF.isoformat(),
        "cpus": os.cpu_count(),
        "duckdb_memory_cap_bytes": memory_cap_bytes(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "floor": [],
    }
    cli = str(Path(sys.executable).with_name("roi-ledger"))
    generated = generate(data_dir, args.scale)
    if generated is not None:
        result["generate_seconds"] = generated
    held = bench_dir / f"held-{AS_OF.isoformat()}"
    result["held_back"] = newday.hold_back(data_dir / "raw", held, AS_OF)
    floor_out = bench_dir / "floor.parquet"
    floor_cmd = [sys.executable, "-m", "tests.bench.floor", str(data_dir), str(floor_out)]

    def floor() -> None:
        run = measured(floor_cmd)
        assert run["returncode"] == 0, run["output_tail"]
        result["floor"].append(
            {
                **json.loads(run["last_line"]),
                "seconds": run["seconds"],
                "peak_tree_rss_bytes": run["peak_tree_rss_bytes"],
            }
        )
        print(f"floor: {run['seconds']:.1f} s", flush=True)

    floor()
    for leftover in ("warehouse", "published", "audit"):
        shutil.rmtree(data_dir / leftover, ignore_errors=True)
    dagster_home = bench_dir / "dagster_home"
    shutil.rmtree(dagster_home, ignore_errors=True)
    dagster_home.mkdir()
    shutil.copy(Path(__file__).resolve().parents[2] / "dagster.yaml", dagster_home)  # as `make demo` does

    def night(name: str, as_of: date, *extra: str) -> None:
        run = measured(
            [cli, "run", "--data-dir", str(data_dir), "--as-of", as_of.isoformat(), *extra],
            env={"DAGSTER_HOME": str(dagster_home)},
        )
        assert run["returncode"] == 0, run["output_tail"]
        ran = NO_RUN not in run["output_tail"]  # the preflight recorded the night without a Dagster run
        result[name] = {
            **run,
            "dagster_run": ran,
            "steps": step_durations(dagster_home) if ran else {},
            "as_of": as_of.isoformat(),
            "peak_steps": steps_at(dagster_home, run["peak_epoch"]) if ran else [],
        }
        print(f"{name}: {run['seconds']:.1f} s, {run['last_line']}", flush=True)
        if not name.startswith("empty_night"):
            result[f"dbt_slowest_{name}"] = slowest_dbt_nodes(data_dir)

    night("first_night", AS_OF - timedelta(days=1))  # the history without its last day (held back)
    night("empty_night_in_run", AS_OF - timedelta(days=1), "--no-preflight")  # the in-run night gate
    night("empty_night", AS_OF - timedelta(days=1))  # roi-ledger run: the preflight
    delivered = newday.deliver(data_dir / "raw", held)
    try:
        night("new_day_night", AS_OF)  # the last day arrives as new files of every event dataset
        result["new_day_files"] = [p.relative_to(data_dir / "raw").as_posix() for p in delivered]
        floor()
    finally:
        newday.withdraw(delivered)
    result["litellm_totals"] = totals = litellm_totals(data_dir / "published" / "roi.duckdb", floor_out)
    assert totals["mart"] == totals["floor"], f"the floor and the mart disagree: {totals}"
    result["ratios"] = ratios(result)
    out = bench_dir / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(result, indent=1, default=str))
    print(f"\nnights at the {args.scale} scale ({os.cpu_count()} cores); results in {out}")
    print(f"{'measure':<28} {'value':<44} target")
    for measure, value, target in result["ratios"]:
        print(f"{measure:<28} {value:<44} {target}")
    for name in ("first_night", "empty_night_in_run", "empty_night", "new_day_night"):
        night_result = result[name]
        print(
            f"\n{name.replace('_', ' ')}: peak {night_result['peak_tree_rss_bytes'] / 1e9:.2f} GB at "
            f"{night_result['peak_at_seconds']} s, in step(s) {', '.join(night_result['peak_steps']) or '-'}:"
        )
        for process, rss in sorted(night_result["peak_rss_by_process"].items(), key=lambda kv: -kv[1])[:4]:
            print(f"  {rss / 1e9:>8.2f} GB  {process}")
        print(f"{name.replace('_', ' ')}, Dagster steps (s):")
        for step, seconds in sorted(result[name]["steps"].items(), key=lambda kv: -kv[1])[:12]:
            print(f"  {seconds:>8.1f}  {step}")
    for name in ("first_night", "new_day_night"):
        print(f"{name.replace('_', ' ')}, dbt's ten slowest nodes (s):")
        for r in result[f"dbt_slowest_{name}"]:
            print(f"  {r['seconds']:>8.1f}  {r['layer']}: {r['node']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
