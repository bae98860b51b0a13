"""Crash safety without a pipeline run: the child launcher, the run lock, the build-database lock message, the
cleanup of interrupted publishes and owner-only permissions. Real processes, killed for real."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance, Definitions, asset, define_asset_job

from orchestration.childguard import child_pids, descendants, process_cmdline, set_parent_death_signal
from orchestration.resources import RoiSettings
from orchestration.runguard import RunRefused, check_build_db, lock_refusal, remove_interrupted_publishes, run_lock
from orchestration.settings import Paths, make_private

REPO = Path(__file__).resolve().parent.parent.parent
LINUX = sys.platform.startswith("linux")
needs_proc = pytest.mark.skipif(not LINUX, reason="reads /proc and uses the Linux parent-death signal")


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_dead(pids: list[int], timeout: float = 5.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


#: A parent process that starts ``python -m orchestration.childguard CMD`` (from its main thread, or from a
#: thread that ends two seconds later, once the launcher has armed its parent-death signal), prints the
#: launcher's PID, then sleeps until killed.
PARENT = textwrap.dedent("""
    import os, subprocess, sys, threading, time
    cmd, from_thread = sys.argv[2:], sys.argv[1] == "thread"
    os.environ["ROI_LEDGER_PARENT_PID"] = str(os.getpid())
    started = []
    def start():
        started.append(subprocess.Popen([sys.executable, "-m", "orchestration.childguard", *cmd]))
        if from_thread:
            time.sleep(2)
    if from_thread:
        t = threading.Thread(target=start); t.start(); t.join()
    else:
        start()
    print(started[0].pid, flush=True)
    time.sleep(120)
""")


def _start_parent(cmd: list[str], how: str = "main") -> tuple[subprocess.Popen, int]:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, how, *cmd], cwd=REPO, stdout=subprocess.PIPE, text=True)
    launcher = int(parent.stdout.readline())
    return parent, launcher


def _wait_for(pred, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached")


@needs_proc
def test_sigkill_of_the_parent_kills_the_command_and_what_it_spawned():
    parent, launcher = _start_parent(["sh", "-c", "sleep 60 & sleep 60"])
    try:
        # launcher -> sh -> two sleeps
        tree = _wait_for(lambda: (d := descendants(launcher)) and len(d) >= 3 and d)
        assert _alive(launcher)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert _wait_dead([launcher, *tree]) == []
    finally:
        for p in [parent.pid, launcher]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)


@needs_proc
def test_a_living_parent_keeps_its_command_when_started_from_the_main_thread():
    """Dagster's in-process executor starts dbt from the main thread (asserted on a real run in
    tests/integration/test_crash_safety.py): there the parent-death signal never fires early."""
    parent, launcher = _start_parent(["sleep", "60"], how="main")
    try:
        (sleeper,) = _wait_for(lambda: child_pids(launcher))
        time.sleep(1.0)
        assert _alive(launcher) and _alive(sleeper)
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    assert _wait_dead([launcher, sleeper]) == []


@needs_proc
def test_the_parent_death_signal_follows_the_thread_that_started_the_child():
    """Why the starting thread matters: a command started from a thread that then ends dies at once, while
    its parent process lives on."""
    parent, launcher = _start_parent(["sleep", "60"], how="thread")
    try:
        assert _wait_dead([launcher]) == []
        assert parent.poll() is None
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()


#: A process that becomes a subreaper, starts a child that starts a grandchild ignoring SIGTERM in a session
#: of its own and exits (the grandchild is orphaned), then does what the command does when it ends (a child of
#: its own group, like multiprocessing's resource tracker, is left alone).
ORPHANS = textwrap.dedent("""
    import os, subprocess, sys
    from orchestration.childguard import child_pids, end_adopted_orphans, set_child_subreaper
    subreaper = set_child_subreaper() if sys.argv[1] == "subreaper" else False
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    own = subprocess.Popen(["sleep", "30"], **quiet)  # same group: left to exit with the command
    grandchild = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"
    starter = ("import subprocess, sys; print(subprocess.Popen([sys.executable, '-c', sys.argv[1]], "
               "start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid)")
    pid = int(subprocess.run([sys.executable, "-c", starter, grandchild], capture_output=True, text=True).stdout)
    print(pid, subreaper, pid in child_pids(os.getpid()), end=" ", flush=True)
    end_adopted_orphans(grace=1.0)
    print(own.poll() is None, flush=True)
    own.kill()
""")


@needs_proc
@pytest.mark.parametrize("mode", ["subreaper", "plain"])
def test_a_subreaper_command_waits_for_its_orphans_to_die(mode):
    """The CLI makes itself a subreaper: a process whose parent died (dbt, after its launcher was killed) is
    re-parented to the run, which kills it and waits before exiting; without it the orphan goes to init and
    outlives the run (the failure this guards against)."""
    out = subprocess.run([sys.executable, "-c", ORPHANS, mode], cwd=REPO, capture_output=True, text=True, timeout=60)
    pid, subreaper, adopted, own_child_alive = out.stdout.split()
    try:
        assert own_child_alive == "True"
        if mode == "subreaper":
            assert (subreaper, adopted) == ("True", "True")
            assert not _alive(int(pid))  # dead (or a zombie) before the command exited
        else:
            assert adopted == "False" and _alive(int(pid))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


@needs_proc
def test_the_launcher_exits_only_when_its_group_is_gone(tmp_path):
    """After its command exits, the launcher kills what is left of the command's group and waits for it: a
    helper still dying (SIGKILL is asynchronous) when the launcher exits would look gone to the run."""
    marker = tmp_path / "helper.pid"
    script = f"sleep 60 & echo $! > {marker}; exit 3"
    out = _guard("sh", "-c", script)
    assert out.returncode == 3
    assert not _alive(int(marker.read_text()))


def _guard(*cmd: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.childguard", *cmd],
        cwd=REPO,
        timeout=60,
        env={**os.environ, **(env or {})},
        **kw,
    )


def test_the_launcher_passes_exit_code_arguments_and_output_through():
    out = _guard("sh", "-c", 'echo "$1"; exit 7', "sh", "a b", capture_output=True, text=True)
    assert (out.returncode, out.stdout) == (7, "a b\n")


def test_a_parent_gone_before_the_launcher_armed_itself_runs_nothing(tmp_path):
    """The launcher knows its parent from ROI_LEDGER_PARENT_PID: another parent means the real one died in
    the window before the parent-death signal was set, and the command is not started."""
    marker = tmp_path / "ran"
    out = _guard("touch", str(marker), env={"ROI_LEDGER_PARENT_PID": "999999999"})
    assert out.returncode == 128 + signal.SIGTERM
    assert not marker.exists()


@needs_proc
def test_sigterm_of_the_launcher_is_passed_to_the_command():
    script = "trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.1; done"
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestration.childguard", "sh", "-c", script],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 3
    assert proc.stdout.read() == "got-term\n"


@needs_proc
def test_without_prctl_the_launcher_polls_for_its_parent():
    """Where the parent-death signal does not exist (not Linux) the launcher notices a dead parent by polling."""
    launcher_code = (
        "import sys; sys.platform = 'darwin'; from orchestration import childguard; "
        "assert not childguard.set_parent_death_signal(15); sys.argv[1:] = ['sleep', '60']; "
        "sys.exit(childguard.main())"
    )
    parent_code = PARENT.replace(
        '[sys.executable, "-m", "orchestration.childguard", *cmd]', f"[sys.executable, '-c', {launcher_code!r}]"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code, "main"], cwd=REPO, stdout=subprocess.PIPE, text=True)
    launcher = int(parent.stdout.readline())
    (sleeper,) = _wait_for(lambda: child_pids(launcher))
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    assert _wait_dead([launcher, sleeper]) == []


def test_parent_death_signal_is_only_claimed_on_linux(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert set_parent_death_signal(signal.SIGTERM) is False


# --- the run lock and the build database's lock ----------------------------------------------------------------

HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from orchestration.runguard import run_lock
    from orchestration.settings import Paths
    with run_lock(Paths(Path(sys.argv[1]))):
        print("held", flush=True)
        time.sleep(120)
""")
HOLD_DUCKDB = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("CREATE TABLE IF NOT EXISTS t (a INTEGER)")
    print("held", flush=True)
    time.sleep(120)
""")


def _holder(code: str, arg: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", code, str(arg)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "held\n"
    return proc


def test_the_run_lock_refuses_a_second_run_and_is_freed_when_its_holder_is_killed(tmp_path):
    paths = Paths(tmp_path)
    holder = _holder(HOLD_LOCK, tmp_path)
    try:
        with pytest.raises(RunRefused) as refused, run_lock(paths):
            pass
        msg = str(refused.value)
        assert f"PID {holder.pid}" in msg and str(paths.run_lock) in msg and "\n" not in msg
    finally:
        holder.kill()
        holder.wait()
    # the kernel released the dead holder's lock; the same process may enter again (the CLI, then the run's
    # settings resource)
    with run_lock(paths) as outer, run_lock(paths) as inner:
        assert (outer, inner) == (True, False)
    assert stat.S_IMODE(paths.run_lock.stat().st_mode) == 0o600


def test_a_process_holding_the_build_database_is_named_in_one_line(tmp_path):
    paths = Paths(tmp_path)
    paths.ensure()
    holder = _holder(HOLD_DUCKDB, paths.build_db)
    try:
        with pytest.raises(RunRefused) as refused:
            check_build_db(paths)
    finally:
        holder.kill()
        holder.wait()
    msg = str(refused.value)
    assert msg.startswith(f"the build database {paths.build_db} is locked by PID {holder.pid} (")
    if LINUX:  # the holder's command line, from /proc, on the same line
        assert f"({sys.executable} -c import sys, time, duckdb con = " in msg
    assert "\n" not in msg
    check_build_db(paths)  # free again once the holder is gone
    assert stat.S_IMODE(paths.build_db.stat().st_mode) == 0o600


def test_lock_refusal_reads_duckdbs_message_and_nothing_else(tmp_path):
    db = tmp_path / "roi.duckdb"
    message = (
        f'IO Error: Could not set lock on file "{db}": Conflicting lock is held in /usr/bin/python3.11 '
        f"(PID 999999999). See also https://duckdb.org/docs/current/connect/concurrency"
    )
    assert lock_refusal(db, message) == (
        f"the build database {db} is locked by PID 999999999 (/usr/bin/python3.11): a process of a killed or "
        f"still running run, or a program with the file open; stop it (kill 999999999) or wait for it, then "
        f"run again"
    )
    assert lock_refusal(db, 'IO Error: Cannot open file "x": Permission denied') is None


@needs_proc
def test_process_cmdline_reads_proc_on_one_line():
    proc = subprocess.Popen(["sh", "-c", "sleep 30\n", "two\nlines"])
    try:
        assert _wait_for(lambda: process_cmdline(proc.pid)) == "sh -c sleep 30 two lines"
        assert process_cmdline(proc.pid, limit=8) == "sh -c..."
    finally:
        proc.kill()
        proc.wait()
    assert process_cmdline(999999999) is None


# --- leftovers and permissions ---------------------------------------------------------------------------------


def test_interrupted_publishes_are_removed_and_nothing_else(tmp_path):
    paths = Paths(tmp_path)
    paths.ensure()
    paths.release_snapshots.mkdir()
    leftovers = [
        paths.published_dir / ".roi.duckdb.r20261031T023000-abcdef12.tmp",
        paths.published_dir / ".roi.duckdb.r20261031T023000-abcdef12.tmp.wal",
        paths.release_snapshots / ".r20261031T023000-abcdef12.duckdb.tmp",
    ]
    kept = [
        paths.published_db,
        paths.published_dir / "roi.duckdb.wal",
        paths.release_snapshots / "r20261030T023000-0123abcd.duckdb",
        paths.published_dir / "notes.tmp",
        paths.raw / ".roi.duckdb.x.tmp",
    ]
    for p in [*leftovers, *kept]:
        p.write_bytes(b"x")
    leftovers[2].chmod(0o444)  # snapshots are made read-only before their rename
    assert remove_interrupted_publishes(paths) == sorted(leftovers)
    assert [p for p in [*leftovers, *kept] if p.exists()] == kept


def test_warehouse_is_private_to_its_owner(tmp_path):
    paths = Paths(tmp_path)
    paths.warehouse.mkdir(mode=0o755)
    (paths.warehouse / "dbt_target" / "staging").mkdir(parents=True, mode=0o755)
    for f in (paths.build_db, paths.warehouse / "roi.duckdb.wal", paths.warehouse / "dbt_target" / "staging" / "x"):
        f.write_text("x")
        f.chmod(0o644)
    paths.ensure()
    assert stat.S_IMODE(paths.warehouse.stat().st_mode) == 0o700
    make_private(paths.warehouse, recursive=True)
    modes = {
        p.relative_to(tmp_path).as_posix(): oct(stat.S_IMODE(p.stat().st_mode))
        for p in sorted(paths.warehouse.rglob("*"))
    }
    assert modes == {
        "warehouse/dbt_target": "0o700",
        "warehouse/dbt_target/staging": "0o700",
        "warehouse/dbt_target/staging/x": "0o600",
        "warehouse/roi.duckdb": "0o600",
        "warehouse/roi.duckdb.wal": "0o600",
    }


# --- the command line ------------------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("roi-ledger")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "orchestration.cli"]
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=120, env=env, cwd=REPO)


@pytest.mark.parametrize("hold", ["duckdb", "run_lock"])
def test_cli_refuses_in_one_line_when_the_data_directory_is_held(tmp_path, hold):
    paths = Paths(tmp_path)
    paths.ensure()
    holder = _holder(HOLD_DUCKDB, paths.build_db) if hold == "duckdb" else _holder(HOLD_LOCK, tmp_path)
    try:
        out = _cli("run", "--data-dir", str(tmp_path), "--as-of", "2026-10-31")
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 1
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("roi-ledger: ")
    assert f"PID {holder.pid}" in lines[0]
    assert (str(paths.build_db) if hold == "duckdb" else str(paths.run_lock)) in lines[0]
    assert "Traceback" not in out.stderr
    assert not (paths.run_log_dir / "last_run.log").exists()  # the job never started


# --- runs the Dagster daemon launches ---------------------------------------------------------------------------

_ran: list[str] = []


@asset(key=["landing", "demo", "guarded"])
def _guarded(settings: RoiSettings):
    _ran.append(settings.data_dir)


def test_a_daemon_run_fails_once_before_its_first_step_when_the_build_database_is_held(tmp_path):
    """Daemon-launched runs get the guard from their ``settings`` resource: one run failure carrying the
    one-line message, and no step runs (not one stack trace per ingest step)."""
    paths = Paths(tmp_path)
    paths.ensure()
    defs = Definitions(assets=[_guarded], jobs=[define_asset_job("nightly")], resources={"settings": RoiSettings()})
    instance = DagsterInstance.ephemeral()
    holder = _holder(HOLD_DUCKDB, paths.build_db)
    try:
        result = defs.resolve_job_def("nightly").execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"resources": {"settings": {"config": {"data_dir": str(tmp_path)}}}},
        )
    finally:
        holder.kill()
        holder.wait()
    assert not result.success
    assert _ran == []
    assert instance.all_logs(result.run_id, of_type=DagsterEventType.STEP_FAILURE) == []
    (failure,) = instance.all_logs(result.run_id, of_type=DagsterEventType.RUN_FAILURE)
    cause = failure.dagster_event.event_specific_data.error.cause
    assert cause.message.startswith(
        f"orchestration.runguard.RunRefused: the build database {paths.build_db} is locked by PID {holder.pid} ("
    )
    # once the holder is gone the same run goes through, and leaves the lock free for the next
    result = defs.resolve_job_def("nightly").execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"resources": {"settings": {"config": {"data_dir": str(tmp_path)}}}},
    )
    assert result.success and _ran == [str(tmp_path)]
    with run_lock(paths) as outermost:
        assert outermost


OWN_GROUP = (
    "import os; from orchestration.cli import own_process_group; "
    "print(own_process_group(), os.getpgrp() == os.getpid(), flush=True)"
)


@pytest.mark.skipif(os.name != "posix", reason="process groups")
def test_the_cli_leads_its_own_process_group_unless_it_is_a_terminals_foreground_job():
    """Outside a terminal (cron, a scheduler, a test) the command leads a group of its own; as the foreground
    job of a terminal it stays in the group the terminal sends Ctrl-C to."""
    out = subprocess.run([sys.executable, "-c", OWN_GROUP], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.stdout == "True True\n"
    import pty

    pid, master = pty.fork()  # the child leads a new session whose terminal is the pty, in the foreground
    if pid == 0:
        os.chdir(REPO)
        code = subprocess.run([sys.executable, "-c", OWN_GROUP]).returncode  # a foreground member, not leader
        os._exit(code)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 1024)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert b"".join(chunks).decode().split() == ["False", "False"]


def test_a_damaged_build_database_is_left_to_the_run_to_report(tmp_path):
    """Only a lock refuses the run up front; any other error of the build database fails the run as before
    (exit 1, `run FAILED`, tests/integration/test_nightly.py)."""
    paths = Paths(tmp_path)
    paths.ensure()
    paths.build_db.write_bytes(b"this is not a duckdb file" * 100)
    check_build_db(paths)
    assert paths.build_db.read_bytes() == b"this is not a duckdb file" * 100
