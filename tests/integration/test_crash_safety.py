"""Crash-safe nights: ``roi-ledger run`` killed with SIGKILL in ingest, in dbt and in publish (and stopped with
SIGTERM in dbt), then one clean run that ends exactly where an uninterrupted run ends.

One data directory goes through the whole night in order (tests of this module share it and run in file
order): each kill runs the real command in a subprocess, finds its phase by polling (the build database
growing; a dbt process of the run holding the build database; the release's temporary file in
``published/``), kills the run process only, and checks nothing it started outlives it. The reference is
the session's uninterrupted demo run (``published_demo``), whose pseudonym key this directory reuses, so
published pseudonyms compare equal.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from orchestration.childguard import descendants, process_cmdline
from orchestration.datasets import DATASETS
from orchestration.dbt import LAYER_SELECTORS
from orchestration.settings import Paths
from tests.conftest import AS_OF, REPO

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
PHASE_TIMEOUT = 900.0
#: How long everything the run started may take to die once the run is killed.
DEATH_TIMEOUT = 5.0
#: Every subprocess.Popen of the run, with the thread it came from (the final run only).
SPY = """
import subprocess, sys, threading
_out, _init = sys.argv.pop(1), subprocess.Popen.__init__
def _spy(self, args, *a, **k):
    with open(_out, "a") as fh:
        fh.write(f"{threading.current_thread() is threading.main_thread()} {args[0]}\\n")
    return _init(self, args, *a, **k)
subprocess.Popen.__init__ = _spy
from orchestration.cli import entry
sys.exit(entry())
"""


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def _holds(pid: int, path: Path) -> bool:
    try:
        return any(os.readlink(fd) == str(path) for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False


def _strangers(data_dir: Path) -> list[str]:
    """Living processes that work on ``data_dir`` (command line or environment naming it)."""
    found = []
    needle = str(data_dir).encode()
    for entry in Path("/proc").glob("[0-9]*"):
        pid = int(entry.name)
        if pid == os.getpid() or not _alive(pid):
            continue
        try:
            if needle in (entry / "cmdline").read_bytes() or needle in (entry / "environ").read_bytes():
                found.append(f"{pid}: {process_cmdline(pid)}")
        except OSError:
            continue
    return found


def _start(data_dir: Path, *prefix: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    out = data_dir.parent / f"{data_dir.name}-run-{time.monotonic_ns()}.out"
    cmd = [*(prefix or [str(BIN / "roi-ledger")]), "run", "--data-dir", str(data_dir), "--as-of", AS_OF.isoformat()]
    with open(out, "w") as fh:
        run = subprocess.Popen(cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT)
    run.output_path = out  # where its stdout and stderr go
    return run


def _output(run: subprocess.Popen) -> str:
    return run.output_path.read_text()[-4000:]


def _kill_when(run: subprocess.Popen, phase: str, reached: Callable[[list[int]], bool]) -> tuple[list[int], float]:
    """Poll until ``reached(descendants of the run)``; SIGKILL the run process alone; wait until every
    descendant it had is dead. Returns (those descendants, seconds they took to die)."""
    deadline = time.monotonic() + PHASE_TIMEOUT
    while True:
        tree = descendants(run.pid)
        if reached(tree):
            break
        assert run.poll() is None, f"the run ended before {phase}: rc {run.returncode}\n{_output(run)}"
        assert time.monotonic() < deadline, f"{phase} not reached in {PHASE_TIMEOUT} s"
        time.sleep(0.02)
    assert os.getpgid(run.pid) == run.pid  # the run leads a process group of its own
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    killed = time.monotonic()
    left = _left_alive(tree)
    assert left == [], f"outlived the killed run ({phase}): {left}"
    return tree, time.monotonic() - killed


def _left_alive(tree: list[int]) -> list[str]:
    """The processes of ``tree`` still alive DEATH_TIMEOUT seconds from now (pid and command line)."""
    since = time.monotonic()
    while any(_alive(p) for p in tree) and time.monotonic() - since < DEATH_TIMEOUT:
        time.sleep(0.02)
    return [f"{p}: {process_cmdline(p)}" for p in tree if _alive(p)]


def _db_writable(db: Path) -> None:
    con = duckdb.connect(str(db))  # raises while any process still holds the lock
    con.close()


@pytest.fixture(scope="module")
def night(module_tmp, demo_raw, published_demo) -> Paths:
    data_dir = module_tmp("crash") / "data"
    shutil.copytree(demo_raw, data_dir / "raw")
    (data_dir / "warehouse").mkdir(mode=0o700)
    shutil.copy2(published_demo[0] / "warehouse" / ".pseudonym_key", data_dir / "warehouse" / ".pseudonym_key")
    return Paths(data_dir)


def _launchers(tree: list[int]) -> list[int]:
    return [p for p in tree if "roi-ledger-dbt build" in (process_cmdline(p) or "")]


def _size(paths: Paths) -> int:
    """Bytes the run has written to the warehouse: the build database, its WAL and the landing files."""
    files = [
        paths.build_db,
        paths.build_db.with_name("roi.duckdb.wal"),
        *paths.build_db.with_name("landing").rglob("*.parquet"),
    ]
    total = 0
    for p in files:
        try:
            total += p.stat().st_size
        except FileNotFoundError:  # a landing file deleted meanwhile
            continue
    return total


def test_sigkill_during_ingest(night: Paths, published_demo):
    run = _start(night.data_dir)
    _kill_when(run, "ingest", lambda tree: _size(night) > 20_000_000 and not _launchers(tree))
    _db_writable(night.build_db)
    assert _strangers(night.data_dir) == []
    count = "SELECT count(*) FROM audit.ingested_files"
    assert 0 < _rows(night.build_db, count)[0][0] < _rows(Paths(published_demo[0]).build_db, count)[0][0]


def _dbt_holding(paths: Paths) -> Callable[[list[int]], bool]:
    """The dbt of the run, started through its launcher, has the build database open (and so its lock)."""

    def reached(tree: list[int]) -> bool:
        return any(_holds(p, paths.build_db) for launcher in _launchers(tree) for p in descendants(launcher))

    return reached


def test_sigkill_during_dbt_leaves_no_dbt_holding_the_lock(night: Paths):
    run = _start(night.data_dir)
    tree, seconds = _kill_when(run, "dbt", _dbt_holding(night))
    assert len(tree) >= 2  # the launcher and dbt (dbt in a process group of its own)
    print(f"dbt and its launcher gone {seconds:.2f} s after the SIGKILL of the run")
    _db_writable(night.build_db)
    assert _strangers(night.data_dir) == []


def test_sigterm_during_dbt_stops_the_run_and_dbt(night: Paths):
    run = _start(night.data_dir)
    deadline = time.monotonic() + PHASE_TIMEOUT
    reached = _dbt_holding(night)
    while not reached(tree := descendants(run.pid)):
        assert run.poll() is None and time.monotonic() < deadline, _output(run)
        time.sleep(0.05)
    run.send_signal(signal.SIGTERM)
    rc = run.wait(timeout=60)
    assert rc == 1, _output(run)
    assert "interrupted (SIGINT or SIGTERM)" in _output(run)
    # Python's multiprocessing resource tracker, a child of the run, exits only once the run's end closes its
    # pipe: like everything the run started, it gets DEATH_TIMEOUT to be gone.
    assert _left_alive(tree) == []
    _db_writable(night.build_db)
    assert _strangers(night.data_dir) == []


def test_sigkill_during_publish(night: Paths):
    run = _start(night.data_dir)
    _kill_when(run, "publish", lambda _tree: bool(list(night.published_dir.glob(".roi.duckdb.*.tmp"))))
    assert night.interrupted_publish_files()  # the leftover the next run must remove
    assert not night.published_db.exists()
    assert _strangers(night.data_dir) == []


def _rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _landing_counts(db: Path) -> dict[str, int]:
    return {ds.table: _rows(db, f"SELECT count(*) FROM {ds.table}")[0][0] for ds in DATASETS}


INGESTED = "SELECT * EXCLUDE (ingested_at, run_id) FROM audit.ingested_files ORDER BY ALL"
QUARANTINED = "SELECT * EXCLUDE (quarantined_at, run_id) FROM audit.quarantine ORDER BY ALL"


def _marts(db: Path, expected: bool = False) -> dict[str, list]:
    """Each published mart: a hash of its rows (order-independent), or, for a mart with floating-point
    columns, its rows, the ``expected`` side's floats as ``pytest.approx`` (averages of doubles differ in the
    last bits between two uninterrupted runs too: DuckDB adds in parallel, in no fixed order)."""
    out = {}
    for (t,) in _rows(db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1"):
        cols = _rows(
            db,
            "SELECT column_name, data_type IN ('DOUBLE', 'FLOAT') FROM information_schema.columns "
            f"WHERE table_schema = 'marts' AND table_name = '{t}' ORDER BY ordinal_position",
        )
        floats = [c for c, is_float in cols if is_float]
        if not floats:
            out[t] = _rows(db, f'SELECT count(*), sum(hash(t)::HUGEINT) FROM marts."{t}" t')
            continue
        order = [f'"{c}"' for c, is_float in cols if not is_float] + [f'round("{c}", 6)' for c in floats]
        out[t] = [
            tuple(pytest.approx(v, rel=1e-9, abs=1e-12) if expected and isinstance(v, float) else v for v in row)
            for row in _rows(db, f'SELECT * FROM marts."{t}" ORDER BY {", ".join(order)}')
        ]
    return out


def test_clean_rerun_ends_where_an_uninterrupted_run_ends(night: Paths, published_demo):
    reference = Paths(published_demo[0])
    assert published_demo[1] == 0
    # a snapshot copy killed before its rename (too short-lived to catch with a real kill)
    night.release_snapshots.mkdir(parents=True, exist_ok=True)
    snapshot_part = night.release_snapshots / ".r20261031T010203-deadbeef.duckdb.tmp"
    snapshot_part.write_bytes(b"partial")
    leftovers = night.interrupted_publish_files()
    spawned = night.data_dir.parent / "spawned.txt"
    run = _start(night.data_dir, sys.executable, "-c", SPY, str(spawned))
    assert run.wait(timeout=PHASE_TIMEOUT) == 0, _output(run)

    # dbt ran under its launcher, started from the main thread (so its parent-death signal never fired), once per
    # dbt layer (its version is read without starting it)
    launches = [line.split(" ", 1) for line in spawned.read_text().splitlines()]
    dbt = [main for main, exe in launches if exe.endswith("roi-ledger-dbt")]
    assert len(dbt) == len(LAYER_SELECTORS) and all(m == "True" for m in dbt), launches
    # the leftovers of the interrupted publishes are gone, and the run log says so
    assert night.interrupted_publish_files() == []
    log = (night.run_log_dir / "last_run.log").read_text()
    assert f"removed {len(leftovers)} temporary file(s) of an interrupted publish" in log
    assert all(str(p) in log for p in leftovers)
    # nothing doubled, nothing lost: landing, the file audit, the quarantine and the published marts
    assert _landing_counts(night.build_db) == _landing_counts(reference.build_db)
    assert _rows(night.build_db, INGESTED) == _rows(reference.build_db, INGESTED)
    assert _rows(night.build_db, QUARANTINED) == _rows(reference.build_db, QUARANTINED)
    assert _marts(night.published_db) == _marts(reference.published_db, expected=True)
    assert _rows(night.build_db, "SELECT status FROM audit.releases") == [("published",)]
    assert len(list(night.release_snapshots.iterdir())) == 1
    assert _strangers(night.data_dir) == []
    # the warehouse is the owner's only; the (pseudonymised) published file stays readable by BI accounts
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in [night.warehouse, *night.warehouse.rglob("*")]}
    wrong = {str(p): oct(m) for p, m in modes.items() if m != (0o700 if p.is_dir() else 0o600)}
    assert wrong == {}
    assert stat.S_IMODE(night.published_db.stat().st_mode) & 0o044 == 0o044
