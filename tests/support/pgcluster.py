"""Run a command against a throwaway PostgreSQL cluster.

    python -m tests.support.pgcluster -- pytest tests/web

starts a cluster in a temporary directory (server binaries found by globbing
``/usr/lib/postgresql/*/bin``, newest first, or ``BALM_PG_BIN``), listening on a free loopback
port and a private unix socket, runs the command with ``DATABASE_URL`` pointing at it, then
stops the server and deletes the directory. Returns the command's exit code.

initdb refuses to run as root, so when we are root (CI, containers) the server runs as the
``postgres`` system user (``runuser -u postgres --``) in a directory that user owns.

Without server binaries it exits 0 after saying so, unless ``CI=true``, where a missing
PostgreSQL is an error (exit 2).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

FALLBACK_BIN = "/usr/lib/postgresql/15/bin"
DB_NAME = "balm"


class PostgresUnavailable(RuntimeError):
    """No usable PostgreSQL server binaries on this machine."""


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def find_bin_dir() -> Path:
    """The newest PostgreSQL ``bin`` directory holding initdb, pg_ctl and postgres."""
    candidates = []
    if os.environ.get("BALM_PG_BIN"):
        candidates.append(os.environ["BALM_PG_BIN"])
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    candidates.append(FALLBACK_BIN)
    for candidate in candidates:
        path = Path(candidate)
        if all((path / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return path
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    raise PostgresUnavailable("no PostgreSQL server binaries (initdb, pg_ctl) found")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _run(command: list[str], **kwargs: object) -> None:
    subprocess.run(_as_server_user(command), check=True, **kwargs)  # type: ignore[call-overload]


@contextmanager
def cluster(bin_dir: Path | None = None, *, durable: bool = False) -> Iterator[str]:
    """Start a throwaway cluster; yield its DATABASE_URL; stop and remove it afterwards.

    Tests run it without durability (no fsync, asynchronous commit) since the data is thrown
    away; ``durable=True`` keeps PostgreSQL's defaults, as a benchmark of a real server should.
    """
    tools = bin_dir or find_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="balm-pg-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    if os.geteuid() == 0:
        server_user = pwd.getpwnam("postgres")
        for path in (root, sockets):
            os.chown(path, server_user.pw_uid, server_user.pw_gid)
    port = free_port()
    started = False
    try:
        _run(
            [
                str(tools / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ],
            stdout=subprocess.DEVNULL,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sockets} "
            "-c max_connections=50"
        )
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        _run(
            [
                str(tools / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            stdout=subprocess.DEVNULL,
        )
        started = True
        _wait_ready(port)
        _run(
            [
                str(tools / "psql") if (tools / "psql").exists() else "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "-q",
                "-c",
                f"CREATE DATABASE {DB_NAME}",
            ],
            stdout=subprocess.DEVNULL,
        )
        yield f"postgres://postgres@127.0.0.1:{port}/{DB_NAME}"
    finally:
        if started:
            subprocess.run(
                _as_server_user(
                    [str(tools / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
                ),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"PostgreSQL did not accept connections on port {port}")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        print("usage: python -m tests.support.pgcluster -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    try:
        bin_dir = find_bin_dir()
    except PostgresUnavailable as error:
        if os.environ.get("CI", "").lower() == "true":
            print(f"error: {error}; PostgreSQL is required under CI=true", file=sys.stderr)
            return 2
        print(f"skipped: {error} (install postgresql to run these tests)", file=sys.stderr)
        return 0
    with cluster(bin_dir) as url:
        env = {**os.environ, "DATABASE_URL": url, "BALM_TEST_POSTGRES": "1"}
        print(f"PostgreSQL ({bin_dir.parent.name}) at {url}", file=sys.stderr, flush=True)
        return subprocess.run(args, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
