"""Shared fixtures: the dbt manifest (prepared once per session, as `make manifest` does) and data dirs."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: Each release's HTML report costs about a second a publish: written by the shared demo night (published_demo) and
#: the report's own tests, not by every night the tests run (``ROI_LEDGER_REPORT=on`` in the environment: by all).
os.environ.setdefault("ROI_LEDGER_REPORT", "off")

#: A fixed as-of date keeps generated data, and so every assertion on it, independent of the day CI runs.
AS_OF = date(2026, 10, 31)

#: Modules that take many minutes, longest first (module totals of `--durations=0` under ``make test``'s two
#: workers: Spark's nights 2,757 s, incremental nights 1,354, PostgreSQL nights 1,342, crash safety 1,221, the
#: nightly job 805, on a machine running at a third of its usual pace): collected first and in this order, so that
#: one pytest-xdist worker starts the longest while the other works through the next, instead of the whole run
#: waiting on one of them at its end (``--dist loadfile --no-loadscope-reorder`` hands out modules in collection
#: order; tests/unit/test_test_order.py).
LONGEST_FIRST = (
    "tests/integration/test_spark.py",
    "tests/integration/test_incremental.py",
    "tests/integration/test_postgres_nights.py",
    "tests/integration/test_crash_safety.py",
    "tests/integration/test_nightly.py",
)


def pytest_collection_modifyitems(config, items) -> None:
    rank = {module: i for i, module in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: the rest keep order


@pytest.fixture(scope="session")
def dbt_manifest(tmp_path_factory, request) -> Path:
    """Parse the dbt project once; the Dagster definitions load this manifest. Under pytest-xdist (``make test``
    runs two workers) the first worker parses and the others wait for it: a second parse would rewrite
    ``manifest.json`` while the first worker's definitions read it."""
    from filelock import FileLock

    from orchestration.dbt import dbt_project, prepare_manifest

    # an xdist worker's config has ``workerinput``; a pytest a test runs inherits a worker's environment only
    if not hasattr(request.config, "workerinput"):
        return prepare_manifest()
    shared = tmp_path_factory.getbasetemp().parent  # the session's folder, above each worker's own
    done = shared / "dbt_manifest.parsed"
    with FileLock(str(done) + ".lock"):
        if done.is_file():
            return dbt_project().manifest_path
        path = prepare_manifest()
        done.touch()
        return path


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory, dbt_manifest) -> Path:
    """The small demo organisation (seed 42), generated once per session; copy it, never write into it."""
    from roi_ledger_demo import generate

    root = tmp_path_factory.mktemp("demo_small")
    generate(root, seed=42, scale="small", months=12, as_of=AS_OF)
    return root / "raw"


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory, request) -> Iterator[Callable[[str], Path]]:
    """``tmp_path_factory.mktemp`` for a module's fixtures: what it made is removed when the module ends, unless
    one of the module's tests failed. A night on a copy of the demo writes about 0.6 GB; kept to the end of the
    session, the suite's copies ran a CI machine out of disk (function-level ``tmp_path`` directories go when
    their test passes: ``tmp_path_retention_policy`` in pyproject.toml)."""
    made: list[Path] = []

    def mktemp(name: str) -> Path:
        made.append(tmp_path_factory.mktemp(name))
        return made[-1]

    failed = request.session.testsfailed
    yield mktemp
    if request.session.testsfailed == failed:
        for path in made:
            shutil.rmtree(path, ignore_errors=True)


#: A PostgreSQL server the tests may use (``.ci/run`` starts one); unset, the tests start a throwaway one.
TEST_POSTGRES_ENV = "ROI_LEDGER_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a real PostgreSQL server: ``$ROI_LEDGER_TEST_POSTGRES_URL`` (``.ci/run`` starts one and
    stops it), else a throwaway one on 127.0.0.1 started here (installed first where it can be) and stopped at
    the end of the session. Each test makes its own database in it (:func:`new_database`)."""
    import tempfile

    url = os.environ.get(TEST_POSTGRES_ENV)
    if url:
        yield url
        return
    from orchestration import pg_throwaway

    pg_throwaway.install()
    root = Path(tempfile.mkdtemp(prefix="roi-test-pg-"))
    try:
        yield pg_throwaway.start(root)
    finally:
        pg_throwaway.stop(root)
        shutil.rmtree(root, ignore_errors=True)


def new_database(server_url: str, name: str) -> str:
    """A new, empty database ``name`` on the server (dropped first if it exists); returns its URL."""
    import psycopg2

    conn = psycopg2.connect(server_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    return server_url.rsplit("/", 1)[0] + "/" + name


def pg_rows(url: str, sql: str) -> list[tuple]:
    """The rows of one query on a PostgreSQL database."""
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def release_records(data_dir: Path) -> list[dict]:
    """``audit.releases`` of a data dir's build database, newest first, as dicts."""
    import duckdb

    con = duckdb.connect(str(data_dir / "warehouse" / "roi.duckdb"), read_only=True)
    try:
        cur = con.execute("SELECT * FROM audit.releases ORDER BY created_at DESC")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


#: A FOCUS charge tagged with an AI system that exists nowhere: about 7 % of the demo's AI spend, AI spend no
#: rule can attribute, over the 1 % `unclassified_ai_spend_max` (a blocked night).
UNKNOWN_AI_CHARGE = {
    "Id": "aws-unknown-ai-0000001",
    "BilledCost": "50000.00",
    "EffectiveCost": "50000.00",
    "ListCost": "50000.00",
    "ContractedCost": "50000.00",
    "ChargeDescription": "AI platform commitment",
    "Tags": '{"ai_system": "ais-nobody-registered-this"}',
    "ResourceId": "ai-platform-x",
}


def write_focus_line(data_dir: Path, name: str, **changes: str) -> Path:
    """A new FOCUS file ``raw/billing/focus/<name>`` of one line: the demo's first AWS line with ``changes``."""
    import csv

    focus_dir = data_dir / "raw" / "billing" / "focus"
    with open(sorted(focus_dir.glob("focus_aws_*.csv"))[0], newline="") as fh:
        reader = csv.DictReader(fh)
        header, row = reader.fieldnames, next(reader)
    row.update(changes)
    path = focus_dir / name
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerow(row)
    return path


def run_nightly(data_dir: Path) -> int:
    """``roi-ledger run`` over a data dir at the fixed as-of date, as the end-to-end tests run it."""
    from orchestration.cli import main

    return main(["run", "--data-dir", str(data_dir), "--as-of", AS_OF.isoformat()])


def dbt_cli(db: Path, target: Path, *args: str):
    """dbt in a process of its own (an in-process dbt keeps its DuckDB connection open, which stops GX or a
    read-only reader from opening the file afterwards) on the build database ``db``, at the fixed as-of date."""
    import json
    import subprocess
    import sys

    from orchestration.settings import DBT_PROJECT_DIR, DUCKDB_PATH_ENV

    dbt = Path(sys.executable).with_name("dbt")
    return subprocess.run(
        [
            str(dbt),
            "--quiet",
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--vars",
            json.dumps({"as_of": AS_OF.isoformat()}),
        ],
        env={**os.environ, DUCKDB_PATH_ENV: str(db)},
        capture_output=True,
        text=True,
        timeout=600,
    )


def landing_tables(con, *tables: str) -> None:
    """Landing views (``landing_<system>.<dataset>``, over Parquet files) turned into tables holding the same rows,
    for tests that write landing rows by hand; every dataset's when none is named."""
    from orchestration.datasets import DATASETS

    for ds in DATASETS:
        if tables and ds.table not in tables:
            continue
        con.execute(f"CREATE TABLE {ds.schema}._by_hand AS SELECT * FROM {ds.table}")
        con.execute(f"DROP VIEW {ds.table}")
        con.execute(f"ALTER TABLE {ds.schema}._by_hand RENAME TO {ds.name}")


def tree_hashes(root: Path) -> dict[str, tuple[str, float]]:
    """SHA-256 and mtime of every file under ``root``, by relative path."""
    import hashlib

    return {
        p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def published_demo(tmp_path_factory, demo_raw) -> tuple[Path, int, dict]:
    """The small demo run once through the nightly job: (data dir, exit code, raw file hashes before the run).

    Shared by every end-to-end module: tests only read it, or copy the whole directory before running again,
    so one pipeline run serves them all.
    """
    from orchestration.cli import main

    data_dir = tmp_path_factory.mktemp("published_demo")
    shutil.copytree(demo_raw, data_dir / "raw")
    raw_before = tree_hashes(data_dir / "raw")
    with reports_on():
        rc = main(["run", "--data-dir", str(data_dir), "--as-of", AS_OF.isoformat()])
    return data_dir, rc, raw_before


@contextlib.contextmanager
def reports_on() -> Iterator[None]:
    """Publish with the release report (the tests leave it off elsewhere)."""
    before = os.environ.get("ROI_LEDGER_REPORT")
    os.environ["ROI_LEDGER_REPORT"] = "on"
    try:
        yield
    finally:
        os.environ["ROI_LEDGER_REPORT"] = before if before is not None else "off"
