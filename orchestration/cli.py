"""``roi-ledger``: a thin command line over the same Dagster job the nightly schedule runs.

Exit codes of ``run`` and ``demo``: 0 published (or unchanged), 3 a blocking check stopped the release
(the checks are named), 2 bad usage, 1 any other failure (also: the run refused to start because another
run or process holds the data directory, said in one line; the run interrupted by SIGINT/SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from orchestration import engine_spark, engines, pg_throwaway
from orchestration.lineage.trace.command import add_trace_parser
from orchestration.nightly import execute_nightly
from orchestration.pg_throwaway import ServerError
from orchestration.publish_postgres import PUBLISH_POSTGRES_ENV, PostgresPublishError, normalised_url
from orchestration.report.command import add_report_parser
from orchestration.scenarios.model import DEFAULT_ITERATIONS, DEFAULT_SEED, MIN_ITERATIONS
from orchestration.settings import DATA_DIR_ENV, Paths, connect_duckdb, resolve_data_dir

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BLOCKED = 0, 1, 2, 3


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {value!r}")
    return n


def _iterations(value: str) -> int:
    n = _positive(value)
    if n < MIN_ITERATIONS:
        raise argparse.ArgumentTypeError(f"at least {MIN_ITERATIONS:,} iterations: {value!r}")
    return n


def dataset_summary(paths: Paths) -> list[dict[str, Any]]:
    from orchestration.datasets import DATASETS

    con = connect_duckdb(paths.build_db, read_only=True)
    try:
        files = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT dataset, count(*) FILTER (WHERE status = 'landed'), "
                "count(*) FILTER (WHERE status IN ('rejected', 'duplicate')), "
                "coalesce(sum(rows_quarantined), 0) FROM audit.ingested_files GROUP BY dataset"
            ).fetchall()
        }
        out = []
        for ds in DATASETS:
            landed, rejected, quarantined = files.get(ds.key, (0, 0, 0))
            rows = con.execute(f"SELECT count(*) FROM {ds.table}").fetchone()[0]
            out.append(
                {
                    "dataset": ds.key,
                    "files_landed": landed,
                    "files_rejected": rejected,
                    "rows_accepted": rows,
                    "rows_quarantined": int(quarantined),
                }
            )
        return out
    finally:
        con.close()


def scenario_summary(paths: Paths) -> dict[str, Any] | None:
    """The scenario model's last run parameters in the build database, if it ran."""
    import duckdb

    if not paths.build_db.exists():
        return None
    try:
        con = connect_duckdb(paths.build_db, read_only=True)
    except duckdb.Error:
        return None
    try:
        cur = con.execute("SELECT * FROM scenario_model.run_parameters")
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
        return dict(zip(cols, rows[0], strict=True)) if rows else None
    except duckdb.Error:  # before the model's first run
        return None
    finally:
        con.close()


def print_outcome(paths: Paths, outcome: dict[str, Any]) -> int:
    status = outcome["status"]
    if paths.build_db.exists():
        try:
            rows = dataset_summary(paths)
        except Exception:  # noqa: BLE001 - the summary must never hide the run's own outcome
            rows = []
        if rows:
            print(f"{'dataset':<32} {'files':>6} {'rejected':>8} {'rows accepted':>14} {'quarantined':>12}")
            for r in rows:
                print(
                    f"{r['dataset']:<32} {r['files_landed']:>6} {r['files_rejected']:>8} "
                    f"{r['rows_accepted']:>14,} {r['rows_quarantined']:>12,}"
                )
    scenarios = scenario_summary(paths)
    if scenarios:
        print(
            f"\nscenario model: {scenarios['scenarios_simulated']} scenario(s) simulated, "
            f"{scenarios['iterations']:,} iterations, seed {scenarios['seed']}; "
            f"{scenarios['scenario_rows_quarantined']} quarantine row(s) (marts.fct_roi_scenario_quarantine)"
        )
    checks = outcome["checks"]
    failed = [c for c in checks if c.blocks]
    warned = [c for c in checks if not c.passed and not c.blocks]
    if not outcome.get("preflight"):
        print(
            f"\ngates: {len(checks)} checks, {len(checks) - len(failed) - len(warned)} passed, "
            f"{len(warned)} warnings, {len(failed)} blocking failures"
        )
    for c in warned:
        print(f"  warn    {c.asset} :: {c.check}  {c.detail}")
    for c in failed:
        print(f"  BLOCKED {c.asset} :: {c.check}  {c.detail}")
    rec = outcome.get("release") or {}
    if status == "ok":
        if outcome.get("preflight"):
            print(f"\nno run: {outcome['preflight']} (checked before the run: no new, changed or missing file)")
        print(f"\nrelease {rec.get('release_id')}: {rec.get('status')}")
        print(f"published file: {paths.published_db} (open read-only from BI tools)")
        if paths.published_report.exists():
            print(f"report: {paths.published_report} (opens offline in a browser)")
        return EXIT_OK
    if status == "blocked":
        print(
            f"\nrelease {rec.get('release_id')}: BLOCKED by {', '.join(f'{c.asset}::{c.check}' for c in failed)}",
            file=sys.stderr,
        )
        print(f"published file unchanged: {paths.published_db}", file=sys.stderr)
        return EXIT_BLOCKED
    print("\nrun FAILED:", file=sys.stderr)
    for e in outcome["errors"]:
        print(f"  {e}", file=sys.stderr)
    print(f"run log: {outcome['log']}", file=sys.stderr)
    print(f"published file unchanged: {paths.published_db}", file=sys.stderr)
    return EXIT_FAILED


def cmd_generate(args: argparse.Namespace) -> int:
    # the demo generator is a package of its own (demo/): the pipeline ships without it
    try:
        from roi_ledger_demo import generate
    except ModuleNotFoundError as exc:
        if exc.name != "roi_ledger_demo":
            raise
        print(
            "roi-ledger: the demo generator is not installed: `pip install -e demo` from the repository "
            "(`make install` installs it)",
            file=sys.stderr,
        )
        return EXIT_USAGE

    paths = Paths(resolve_data_dir(args.data_dir))
    summary = generate(
        paths.data_dir,
        seed=args.seed,
        scale=args.scale,
        months=args.months,
        as_of=args.as_of or datetime.now(UTC).date(),
    )
    total = sum(v.get("records", 0) for v in summary.values())
    print(
        f"generated {len(summary)} datasets, {total:,} records under {paths.raw} (seed {args.seed}, scale {args.scale})"
    )
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from orchestration.runguard import RunRefused

    paths = Paths(resolve_data_dir(args.data_dir))
    if not paths.raw.is_dir():
        print(
            f"roi-ledger: no raw data at {paths.raw} (run `roi-ledger generate` or land exports there)", file=sys.stderr
        )
        return EXIT_USAGE
    target = getattr(args, "publish_to", None)
    if target:
        try:
            normalised_url(target)
        except PostgresPublishError as exc:
            print(f"roi-ledger: --publish-to: {exc}", file=sys.stderr)
            return EXIT_USAGE
    # the run (in this process) reads its settings from the environment, as a scheduled run does; for this run only
    names = (PUBLISH_POSTGRES_ENV, engines.ENGINE_ENV, engines.POSTGRES_URL_ENV)
    saved = {n: os.environ.get(n) for n in names}
    if target:
        os.environ[PUBLISH_POSTGRES_ENV] = target
    if getattr(args, "engine", None):
        os.environ[engines.ENGINE_ENV] = args.engine
    server = None
    try:
        if engines.engine() == "postgres" and not os.environ.get(engines.POSTGRES_URL_ENV):
            server = _throwaway_server(paths)
            os.environ[engines.POSTGRES_URL_ENV] = server[1]
        elif engines.engine() == "spark":  # refused by what is missing before the run, not by dbt within it
            engine_spark.require_java()
        outcome = execute_nightly(
            paths,
            args.as_of,
            verbose=args.verbose,
            scenario_seed=args.scenario_seed,
            scenario_iterations=args.scenario_iterations,
            full_refresh=getattr(args, "full_refresh", False),
            preflight=not getattr(args, "no_preflight", False),
        )
    except (RunRefused, PostgresPublishError, ServerError, engine_spark.SparkEngineError) as exc:
        print(f"roi-ledger: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if server is not None:
            pg_throwaway.stop(server[0])
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v
    return print_outcome(paths, outcome)


def _throwaway_server(paths: Paths) -> tuple[Path, str]:
    """The postgres engine without ``$ROI_LEDGER_POSTGRES_URL``: a throwaway server on 127.0.0.1 whose cluster
    is kept in ``DIR/postgres`` (the next night builds on it again), started for this run and stopped after."""
    root = paths.data_dir / "postgres"
    pg_throwaway.install()
    url = pg_throwaway.start(root)
    print(f"postgres engine: a throwaway server for this run at {url} (cluster in {root})", file=sys.stderr)
    return root, url


def cmd_demo(args: argparse.Namespace) -> int:
    rc = cmd_generate(args)
    return rc if rc else cmd_run(args)


def format_release(rec: dict[str, Any], paths: Paths) -> str:
    """One release in full, for ``roi-ledger releases --show`` (pure: tested)."""
    checks = json.loads(rec.get("checks") or "[]")
    lines = [
        f"release        {rec['release_id']}",
        f"status         {rec['status']}",
        f"as of          {rec['as_of']}",
        f"created (UTC)  {rec['created_at']:%Y-%m-%d %H:%M:%S}",
        f"run id         {rec.get('run_id')}",
        f"code version   {rec.get('code_version') or 'not recorded'}",
    ]
    lines.append(f"build engine   {rec.get('engine') or 'duckdb (not recorded)'}")
    also = json.loads(rec.get("published_to") or "[]")
    if also:
        lines.append("published to   " + ", ".join(also))
    tools = json.loads(rec.get("tool_versions") or "{}")
    if tools:
        lines.append("tool versions  " + ", ".join(f"{k} {v}" for k, v in sorted(tools.items())))
    lines.append(f"fingerprint    {rec['input_fingerprint']}")
    lines.append(f"published file sha256 {rec.get('published_sha256') or '-'}")
    snap = rec.get("snapshot_path")
    if snap:
        state = "present" if (paths.data_dir / snap).exists() else "pruned by retention"
        lines.append(f"snapshot       {paths.data_dir / snap} ({state})")
    files = json.loads(rec.get("input_files") or "[]")
    lines.append(f"\ninput files ({len(files)})")
    lines += [f"  {f['file_sha256'][:16]}  {f['dataset']:<28} {f['source_file']}" for f in files]
    counts = json.loads(rec.get("row_counts") or "{}")
    lines.append(f"\nrow counts ({len(counts)} tables)")
    lines += [f"  {n:>12,}  {t}" for t, n in sorted(counts.items())]
    failed = [c for c in checks if not c["passed"] and c["severity"] == "ERROR"]
    warned = [c for c in checks if not c["passed"] and c["severity"] != "ERROR"]
    lines.append(
        f"\nchecks ({len(checks)}: {len(checks) - len(failed) - len(warned)} passed, {len(warned)} "
        f"warnings, {len(failed)} blocking failures)"
    )
    for c in sorted(checks, key=lambda c: (c["passed"], c["severity"] != "ERROR", c["asset"], c["check"])):
        status = "pass" if c["passed"] else ("FAIL" if c["severity"] == "ERROR" else "warn")
        observed = c.get("observed") or {}
        shown = "; ".join(f"{k}={v}" for k, v in observed.items()) if observed else c.get("detail", "")
        lines.append(f"  {status:<4}  {c['asset']} :: {c['check']}  {shown}"[:400])
    return "\n".join(lines)


def cmd_releases(args: argparse.Namespace) -> int:
    from orchestration.publish import get_release, list_releases

    paths = Paths(resolve_data_dir(args.data_dir))
    if args.show:
        rec = get_release(paths, args.show)
        if rec is None:
            print(
                f"roi-ledger releases: no release {args.show!r} under {paths.data_dir} "
                f"(`roi-ledger releases` lists them)",
                file=sys.stderr,
            )
            return EXIT_USAGE
        print(json.dumps(rec, default=str, indent=2) if args.json else format_release(rec, paths))
        return EXIT_OK
    releases = list_releases(paths)
    if args.json:
        print(json.dumps(releases, default=str, indent=2))
        return EXIT_OK
    if not releases:
        print(f"no releases recorded under {paths.data_dir}")
        return EXIT_OK
    print(
        f"{'release_id':<28} {'status':<10} {'as_of':<10} {'created_at (UTC)':<20} {'code':<12} "
        f"{'published sha256':<16} failed checks"
    )
    for r in releases:
        failed = ", ".join(f"{c['asset']}::{c['check']}" for c in json.loads(r["failed_checks"] or "[]"))
        print(
            f"{r['release_id']:<28} {r['status']:<10} {r['as_of']!s:<10} "
            f"{r['created_at']:%Y-%m-%d %H:%M:%S}  {(r.get('code_version') or '-')[:12]:<12} "
            f"{(r.get('published_sha256') or '-')[:16]:<16} {failed}"
        )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="roi-ledger", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    def data_dir(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--data-dir", help=f"data directory (default ${DATA_DIR_ENV} or ./data)")

    def run_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--verbose", action="store_true", help="show dbt's output instead of writing it to the run log")
        sp.add_argument(
            "--scenario-seed",
            type=int,
            metavar="N",
            help=f"seed of the scenario Monte Carlo (default {DEFAULT_SEED}; stored with its output)",
        )
        sp.add_argument(
            "--scenario-iterations",
            type=_iterations,
            metavar="N",
            help=f"simulated years per scenario (default {DEFAULT_ITERATIONS:,}, at least {MIN_ITERATIONS:,})",
        )
        sp.add_argument(
            "--engine",
            choices=engines.ENGINES,
            help=f"where dbt builds the night (default ${engines.ENGINE_ENV} or duckdb): postgres on the server of "
            f"${engines.POSTGRES_URL_ENV} (unset: a local throwaway), spark on ${engine_spark.MASTER_ENV} (local[*])",
        )
        sp.add_argument(
            "--publish-to",
            metavar="URL",
            help="also write each published release into this PostgreSQL database (postgresql://user@host/db; "
            f"default ${PUBLISH_POSTGRES_ENV}), in one transaction, readable by role roi_ledger_bi",
        )

    def gen_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        sp.add_argument("--scale", choices=("small", "medium", "large"), default="small")
        sp.add_argument("--months", type=_positive, default=12, help="months of history (default 12)")
        sp.add_argument("--as-of", type=_date, help="last day of the history / release date (default today)")

    g = sub.add_parser("generate", help="write the seeded demo organisation's raw exports")
    data_dir(g)
    gen_opts(g)
    g.set_defaults(func=cmd_generate)
    r = sub.add_parser("run", help="run the nightly job once and publish when every gate passes")
    data_dir(r)
    r.add_argument("--as-of", type=_date, help="as-of date of the release (default today)")
    r.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every incremental model from everything landed (a night normally rebuilds "
        "only what its new files change), and run even when nothing changed",
    )
    r.add_argument(
        "--no-preflight",
        action="store_true",
        help="start the Dagster run even when the night would land nothing and equals the last "
        "published release (its night gate then records `unchanged` after the ingest steps)",
    )
    run_opts(r)
    r.set_defaults(func=cmd_run)
    d = sub.add_parser("demo", help="generate the demo organisation, then run")
    data_dir(d)
    gen_opts(d)
    run_opts(d)
    d.set_defaults(func=cmd_demo)
    rl = sub.add_parser("releases", help="published and blocked releases, newest first")
    data_dir(rl)
    rl.add_argument("--json", action="store_true", help="print JSON")
    rl.add_argument(
        "--show",
        metavar="RELEASE_ID",
        help="one release in full: code and tool versions, input files, row counts, every check",
    )
    rl.set_defaults(func=cmd_releases)
    add_trace_parser(sub)
    add_report_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        from orchestration.childguard import terminate_children

        terminate_children()  # none outlives the command, whatever Dagster had under way
        print("roi-ledger: interrupted", file=sys.stderr)
        return EXIT_FAILED


def _terminated(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def own_process_group() -> bool:
    """Make this process the leader of a process group of its own, so that ``kill -- -PID`` stops the run and
    everything it started, and signals meant for a parent (a scheduler, a test runner) are not shared with
    it. Left as it is when already a leader, or when it is the foreground job of a terminal (leaving that
    group would take Ctrl-C away from it). Returns whether it leads its group."""
    if os.getpgrp() == os.getpid():
        return True
    try:
        tty = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        tty = None  # no controlling terminal: cron, systemd, a pipeline, a test
    try:
        if tty is not None and os.tcgetpgrp(tty) == os.getpgrp():
            return False
        os.setpgid(0, 0)
    except OSError:
        return False
    finally:
        if tty is not None:
            os.close(tty)
    return True


def entry() -> int:
    """The ``roi-ledger`` command: :func:`main` as a process of its own. SIGTERM stops it as Ctrl-C does (Dagster
    does the same while the job runs: steps are interrupted, dbt is asked to cancel); its children die with it
    (dbt's launcher has a parent-death signal, :mod:`orchestration.childguard`), and it waits for every process
    it started, orphans included, to be gone before it exits."""
    if os.name != "posix":
        return main()
    from orchestration.childguard import end_adopted_orphans, set_child_subreaper

    own_process_group()
    signal.signal(signal.SIGTERM, _terminated)
    set_child_subreaper()
    try:
        return main()
    finally:
        # A process the run started whose own parent died (dbt killed through its launcher's death) was
        # re-parented here: wait for it to die (SIGTERM, then SIGKILL) so none outlives the command.
        end_adopted_orphans()


if __name__ == "__main__":
    sys.exit(entry())
