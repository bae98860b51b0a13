"""Child processes that die with the run, even when the run is killed with SIGKILL.

dagster-dbt runs dbt as a subprocess of the run. When the run dies abruptly (``kill -9``, the OOM killer, a
lost container), nothing tells that subprocess: it keeps running, keeps the build database's DuckDB lock,
and the next night fails. This module is the launcher that prevents it (``roi-ledger-dbt``, the
``dbt_executable`` of the project's ``DbtCliResource``; ``python -m orchestration.childguard CMD ...`` for
any other command). It stays beside the command as a small supervisor:

- it asks Linux to send it SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``), then checks the
  parent is still the one that started it (closes the race of a parent dying before the call);
- it starts the command in a process group of its own, with a parent-death signal (SIGKILL) of its own, so
  whatever the command spawns is in that group;
- when the parent dies it kills the whole group; SIGINT and SIGTERM from a living parent (dagster-dbt's
  way to stop dbt) are passed on to the group, so dbt can cancel its queries cleanly;
- when the command exits it removes what is left of its group (a helper that outlived dbt would hold the
  pipe dagster-dbt reads, or the database lock) and exits with the command's code.

Where ``prctl`` is unavailable (not Linux) it degrades to polling: every ``POLL_SECONDS`` it checks that its
parent is alive. On Windows it only runs the command.

The parent-death signal fires when the parent *thread* that started the child exits, not the process.
Dagster's in-process executor (``execute_in_process``, the CLI, and the daemon's run worker) runs every step
in the main thread, and dagster-dbt starts dbt from the step's own thread and reads its output there until
dbt exits, so the signal never fires during a normal run (``tests/integration/test_crash_safety.py`` records
the starting thread of every dbt launch of a real run).

Standard library only: it is started once per dbt layer and must start fast.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

#: The run's PID, set in the environment before dbt is launched: the supervisor compares its parent with it
#: (a parent that died before ``prctl`` took effect leaves the supervisor with another parent).
PARENT_PID_ENV = "ROI_LEDGER_PARENT_PID"
#: The dbt this launcher runs (default: ``python -m orchestration.dbt_cli`` with the launcher's interpreter).
DBT_EXECUTABLE_ENV = "ROI_LEDGER_DBT_EXECUTABLE"
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
POLL_SECONDS = 0.25
#: After passing SIGINT/SIGTERM on, how long the group gets before SIGKILL (dagster-dbt waits 25 s itself).
GRACE_SECONDS = 20.0
#: How long the supervisor waits, after SIGKILL of its group, for every member to be gone.
GROUP_EXIT_SECONDS = 10.0


def set_parent_death_signal(sig: int) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent (thread) dies; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def set_child_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (``prctl(PR_SET_CHILD_SUBREAPER)``): a process
    whose parent dies is re-parented here instead of to init, so it stays among this process's descendants and
    :func:`terminate_children` still finds it (dbt dying by its parent-death signal after its launcher was
    killed is one). False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def process_cmdline(pid: int, limit: int = 300) -> str | None:
    """The command line of a process (from ``/proc``) on one line, at most ``limit`` characters, or None when
    it cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    text = " ".join(raw.decode(errors="replace").replace("\0", " ").split())
    return (text if len(text) <= limit else text[: limit - 3] + "...") or None


def _parent_of(stat: str) -> int | None:
    """PPID from a ``/proc/<pid>/stat`` line; the command name may hold spaces and parentheses."""
    fields = stat.rsplit(")", 1)[-1].split()
    return int(fields[1]) if len(fields) > 1 and fields[0] != "Z" else None


def child_pids(pid: int) -> list[int]:
    """Living (non-zombie) direct children of ``pid``, read from ``/proc`` (empty where there is none)."""
    out = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if _parent_of(stat) == pid:
            out.append(int(entry.name))
    return sorted(out)


def group_members(group: int) -> list[int]:
    """Living (non-zombie) processes of process group ``group``, read from ``/proc``."""
    out = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if len(fields) > 2 and fields[0] != "Z" and fields[2] == str(group):
            out.append(int(entry.name))
    return sorted(out)


def group_members_gone(group: int, *, timeout: float, exclude: int | None = None) -> bool:
    """Wait (at most ``timeout`` s) until no process of ``group`` but ``exclude`` is alive. SIGKILL is
    asynchronous: a process with a large address space (DuckDB's buffer pool) takes a moment to die, and a
    supervisor that exited before that would leave its parent believing dbt gone while it still holds the
    database lock. True when the group is gone."""
    deadline = time.monotonic() + timeout
    while True:
        living = [p for p in group_members(group) if p != exclude]
        if not living or time.monotonic() > deadline:
            return not living
        time.sleep(0.02)


def descendants(pid: int) -> list[int]:
    """Every living process below ``pid`` (children, their children, ...), parents before their children."""
    out, todo = [], [pid]
    while todo:
        kids = child_pids(todo.pop())
        out += kids
        todo += kids
    return out


def terminate_children(
    pid: int | None = None, *, grace: float = 5.0, only: Callable[[int], bool] | None = None
) -> list[int]:
    """SIGTERM every living child of ``pid`` (default: this process) that ``only`` accepts (default: all),
    SIGKILL those still alive after ``grace`` seconds; returns the children found. The CLI calls it when it
    is interrupted."""
    pid = os.getpid() if pid is None else pid
    found = [c for c in child_pids(pid) if only is None or only(c)]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        living = [c for c in found if c in child_pids(pid)]
        for c in living:
            with contextlib.suppress(ProcessLookupError):
                os.kill(c, sig)
        deadline = time.monotonic() + grace
        while living and time.monotonic() < deadline:
            for c in living:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(c, os.WNOHANG)
            living = [c for c in living if c in child_pids(pid)]
            time.sleep(0.05)
        if not living:
            break
    return found


def _foreign_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) != os.getpgrp()
    except ProcessLookupError:
        return False


def end_adopted_orphans(grace: float = 5.0) -> list[int]:
    """Stop and reap the orphans this subreaper (:func:`set_child_subreaper`) adopted: children of this process
    in a process group other than its own. This process never starts a child in another group itself (dbt's
    launcher does, for dbt), so such a child is a descendant whose parent died, e.g. dbt dying by its
    parent-death signal after its launcher was killed. Children of this process's own group (Python's
    multiprocessing resource tracker) are left to exit with it. Returns the orphans found."""
    found: list[int] = []
    for _ in range(3):  # orphans of orphans arrive as their parents die
        orphans = terminate_children(grace=grace, only=_foreign_group)
        if not orphans:
            break
        found += orphans
    return found


class _Supervisor:
    def __init__(self, cmd: list[str]) -> None:
        self.cmd = cmd
        self.pending: list[int] = []
        self.parent = self._expected_parent()
        self.prctl = set_parent_death_signal(signal.SIGTERM)

    @staticmethod
    def _expected_parent() -> int:
        raw = os.environ.get(PARENT_PID_ENV, "")
        return int(raw) if raw.isdigit() else os.getppid()

    def parent_alive(self) -> bool:
        return os.getppid() == self.parent

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.pending.append(signum)

    def run(self) -> int:
        if not self.parent_alive():  # the parent died before the parent-death signal was armed
            return 128 + signal.SIGTERM
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        me = os.getpid()

        def in_child() -> None:  # after fork, before exec: runs in the new process only
            if set_parent_death_signal(signal.SIGKILL) and os.getppid() != me:
                os._exit(128 + signal.SIGKILL)

        env = {k: v for k, v in os.environ.items() if k != PARENT_PID_ENV}
        proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, env=env, process_group=0, preexec_fn=in_child)
        group = proc.pid  # the group's id; reserved while the child is unreaped (we reap it last)
        kill_at: float | None = None
        while True:
            if self._exited(proc.pid):
                break
            if not self.parent_alive():
                self._signal_group(group, signal.SIGKILL)
            while self.pending:
                sig = self.pending.pop(0)
                self._signal_group(group, signal.SIGKILL if not self.parent_alive() else sig)
                kill_at = kill_at or time.monotonic() + GRACE_SECONDS
            if kill_at is not None and time.monotonic() > kill_at:
                self._signal_group(group, signal.SIGKILL)
            time.sleep(POLL_SECONDS if not self.pending else 0)
        self._signal_group(group, signal.SIGKILL)  # leftovers of the command: nothing may outlive it
        group_members_gone(group, timeout=GROUP_EXIT_SECONDS, exclude=proc.pid)
        code = proc.wait()
        return code if code >= 0 else 128 - code

    @staticmethod
    def _exited(pid: int) -> bool:
        """Whether the command exited, without reaping it (its PID keeps the group id from being reused)."""
        try:
            return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    @staticmethod
    def _signal_group(group: int, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, sig)


def run_guarded(cmd: list[str]) -> int:
    """Run ``cmd`` so that it (and its process group) dies with this process's parent; its exit code."""
    if os.name != "posix":
        return subprocess.call(cmd)
    return _Supervisor(cmd).run()


def real_dbt() -> list[str]:
    """The dbt command the launcher runs: :data:`DBT_EXECUTABLE_ENV` when set, else dbt's own command line
    through :mod:`orchestration.dbt_cli` (log lines made only when written) with this interpreter."""
    configured = os.environ.get(DBT_EXECUTABLE_ENV)
    if configured:
        return [configured]
    return [sys.executable, "-m", "orchestration.dbt_cli"]


def dbt_main() -> int:
    """``roi-ledger-dbt``: dbt under the supervisor. Files dbt writes (run artifacts, the build database's
    write-ahead log) are the owner's only, like the rest of the warehouse directory."""
    os.umask(0o077)
    return run_guarded([*real_dbt(), *sys.argv[1:]])


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: python -m orchestration.childguard COMMAND [ARG ...]", file=sys.stderr)
        return 2
    return run_guarded(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
