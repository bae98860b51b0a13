"""A throwaway PostgreSQL server on 127.0.0.1, for the tests, CI and trying ``--publish-to`` without a server.

``python -m orchestration.pg_throwaway start --dir D`` makes a new cluster under ``D`` (initdb, trust
authentication, listening on 127.0.0.1 only, on a free port, its socket in ``D``), starts it, and prints its
URL (also written to ``D/url``); ``stop --dir D`` stops it (fast shutdown). ``--install`` installs Debian's
``postgresql`` package first when no server binaries are found (as root, with apt-get). Standard library only:
``.ci/run`` calls it before the virtual environment exists.

PostgreSQL refuses to run as root: as root, the cluster belongs to the ``postgres`` user (Debian's package makes
it) and the commands run as that user. Trust authentication is for a throwaway server on the loopback
interface only; point ``--publish-to`` at a real server for anything else.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

SUPERUSER = "roi"
SERVER_USER = "postgres"


class ServerError(RuntimeError):
    pass


def find_bin(name: str) -> str | None:
    """A PostgreSQL server program: on PATH, else the newest of Debian's ``/usr/lib/postgresql/<v>/bin``."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[-3]))
    return versions[-1] if versions else None


def install() -> None:
    """Debian's ``postgresql`` package, when no server binaries are found (root and apt-get only)."""
    if find_bin("initdb") and find_bin("pg_ctl"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise ServerError("no PostgreSQL server binaries (initdb, pg_ctl): install PostgreSQL (Debian: postgresql)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    quiet = {"env": env, "stdout": subprocess.DEVNULL, "check": False}
    if subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], **quiet).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], **quiet)
        subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], env=env, stdout=subprocess.DEVNULL, check=True)
    if not (find_bin("initdb") and find_bin("pg_ctl")):
        raise ServerError("postgresql installed, but initdb and pg_ctl were not found")


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    if not shutil.which("runuser"):
        raise ServerError("running as root needs runuser to start PostgreSQL as its own user")
    return ["runuser", "-u", SERVER_USER, "--", *cmd]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd: list[str], what: str) -> None:
    done = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ServerError(f"{what} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}")


def start(root: Path) -> str:
    """Start the cluster under ``root``, made first when there is none (a cluster made before keeps its data, on
    a new port); return its URL."""
    initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
    if not (initdb and pg_ctl):
        raise ServerError("no PostgreSQL server binaries (initdb, pg_ctl): run with --install, or install PostgreSQL")
    root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        import pwd

        try:
            user = pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise ServerError(f"running as root needs the {SERVER_USER} user (Debian's postgresql makes it)") from None
        os.chown(root, user.pw_uid, user.pw_gid)
    os.chmod(root, 0o700)
    data = root / "data"
    if not (data / "PG_VERSION").exists():
        _run(
            [initdb, "-D", str(data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"],
            "initdb",
        )
    port = _free_port()
    options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    _run([pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w", "-t", "60", "start"], "start")
    url = f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres"
    (root / "url").write_text(url + "\n")
    return url


def stop(root: Path) -> None:
    """Stop the cluster under ``root`` (nothing when none runs there)."""
    pg_ctl = find_bin("pg_ctl")
    data = root / "data"
    if pg_ctl and (data / "postmaster.pid").exists():
        _run([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], "stop")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m orchestration.pg_throwaway", description=__doc__.splitlines()[0])
    p.add_argument("action", choices=("start", "stop"))
    p.add_argument("--dir", required=True, type=Path, help="the cluster's directory")
    p.add_argument("--install", action="store_true", help="install Debian's postgresql first when missing")
    args = p.parse_args(argv)
    try:
        if args.action == "start":
            if args.install:
                install()
            print(start(args.dir.resolve()))
        else:
            stop(args.dir.resolve())
    except (ServerError, OSError, subprocess.CalledProcessError) as exc:
        print(f"pg_throwaway: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
