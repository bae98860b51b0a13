"""One run at a time per data directory, a clear refusal when the build database is held, and the cleanup
of what a killed run left behind.

Every nightly run (the CLI's in-process run, and a daemon-launched run through the ``settings`` resource)
goes through :func:`run_session`:

1. it takes the run lock, an advisory ``flock`` on ``DIR/warehouse/.run.lock``. The kernel releases it when
   its holder dies, however it dies, so a killed run never blocks the next one; the lock file is never
   deleted (deleting a lock file lets two runs lock two different files);
2. holding it, it removes the temporary files of a publish that was killed before its rename
   (:meth:`Paths.interrupted_publish_files`): no other run can be writing them;
3. it opens the build database for writing once. DuckDB allows one writing process; when another process
   holds the file (a leftover of a killed run, an open BI session, a second pipeline), the run stops before
   its first step with one line naming the file, the holding process and what to do, instead of one stack
   trace per step;
4. it makes the warehouse the owner's only again (0700/0600), at the start and at the end of the run.

Both refusals raise :class:`RunRefused`; the CLI prints its one line and exits 1.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from orchestration.childguard import process_cmdline
from orchestration.settings import Paths, connect_duckdb, make_private

#: DuckDB's lock error: ``Could not set lock on file "<path>": Conflicting lock is held in <exe> (PID <n>)``.
_DUCKDB_LOCK = re.compile(r"Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")


class RunRefused(Exception):
    """The run cannot start; the message is one line for the user (file, holder, what to do)."""


#: Run locks this process holds: lock file -> (descriptor, depth). The CLI's run and the run's ``settings``
#: resource both enter :func:`run_session`, and a second ``flock`` from the same process on a second
#: descriptor would conflict with the first.
_HELD: dict[Path, tuple[int, int]] = {}
_HELD_GUARD = threading.Lock()


def _holder(lock_file: Path) -> str:
    try:
        pid = int(lock_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return "another process"
    cmd = process_cmdline(pid)
    return f"PID {pid}" + (f" ({cmd})" if cmd else "")


@contextlib.contextmanager
def run_lock(paths: Paths) -> Iterator[bool]:
    """Hold the data directory's run lock; yields True when this is the outermost hold in this process."""
    lock_file = paths.run_lock
    with _HELD_GUARD:
        held = _HELD.get(lock_file)
        if held is not None:
            _HELD[lock_file] = (held[0], held[1] + 1)
            outermost = False
        else:
            paths.ensure()
            fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                    raise
                raise RunRefused(
                    f"another run is using {paths.data_dir}: {_holder(lock_file)} holds {lock_file}; wait for "
                    f"it to finish, or stop that process, then run again"
                ) from None
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            _HELD[lock_file] = (fd, 1)
            outermost = True
    try:
        yield outermost
    finally:
        with _HELD_GUARD:
            fd, depth = _HELD[lock_file]
            if depth > 1:
                _HELD[lock_file] = (fd, depth - 1)
            else:
                del _HELD[lock_file]
                os.close(fd)  # releases the flock


def remove_interrupted_publishes(paths: Paths) -> list[Path]:
    """Delete temporary files of killed publishes (call only while holding the run lock); what was removed."""
    removed = []
    for p in paths.interrupted_publish_files():
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
            removed.append(p)
    return removed


def lock_refusal(db: Path, message: str) -> str | None:
    """The one-line refusal for DuckDB's lock error ``message``, or None when it is another error (pure:
    tested). The holder's command line comes from ``/proc`` where it can be read, else from DuckDB."""
    m = _DUCKDB_LOCK.search(message)
    if m is None:
        return None
    pid = int(m["pid"])
    cmd = process_cmdline(pid) or m["exe"]
    return (
        f"the build database {db} is locked by PID {pid} ({cmd}): a process of a killed or still running "
        f"run, or a program with the file open; stop it (kill {pid}) or wait for it, then run again"
    )


def check_build_db(paths: Paths) -> None:
    """Open the build database for writing once (creating it, owner-only, on a first run); RunRefused when
    another process holds it. Other errors surface in the run's own steps."""
    import duckdb

    db = paths.build_db
    try:
        con = connect_duckdb(db)
    except duckdb.Error as exc:
        refusal = lock_refusal(db, str(exc))
        if refusal is None:
            return  # not a lock (a damaged file, say): the run's first step reports it as a failed run
        raise RunRefused(refusal) from None
    con.close()
    make_private(db)


@contextlib.contextmanager
def run_session(paths: Paths, log: Callable[[str], None]) -> Iterator[None]:
    """The guard around one nightly run (see the module docstring); ``log`` gets what was cleaned up."""
    with run_lock(paths) as outermost:
        if outermost:
            make_private(paths.warehouse, recursive=True)
            removed = remove_interrupted_publishes(paths)
            if removed:
                log(
                    f"removed {len(removed)} temporary file(s) of an interrupted publish: "
                    f"{', '.join(str(p) for p in removed)}"
                )
            check_build_db(paths)
        try:
            yield
        finally:
            if outermost:
                make_private(paths.warehouse, recursive=True)
