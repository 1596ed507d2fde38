"""Back up and restore balm's database (``balm backup -o FILE``, ``balm restore FILE``).

- SQLite: SQLite's online backup API (``sqlite3.Connection.backup``) copies the database page
  by page under SQLite's own locking, so a consistent copy is taken while balm serves and the
  worker writes. The backup is itself a SQLite database file; restoring copies it back the same
  way, after checking it (``PRAGMA integrity_check``).
- PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot, without stopping the
  server) and ``pg_restore --clean --if-exists --single-transaction`` (all or nothing). The
  client tools come from PATH, else from the newest ``/usr/lib/postgresql/*/bin``.

A backup is written to a temporary file beside the target and renamed into place only when
complete, so an interrupted backup never leaves a half-written file under the final name.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why, in plain words."""


@dataclass(frozen=True)
class Outcome:
    engine: str
    path: Path
    size: int


def _engine(database: dict[str, Any]) -> str:
    engine = str(database["ENGINE"])
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"balm backs up SQLite and PostgreSQL only, not {engine}")


def pg_tool(name: str) -> str:
    """``pg_dump`` or ``pg_restore``: the newest server's own tools first (a dump needs a
    pg_dump at least as new as the server), then PATH."""
    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True):
        candidate = Path(directory) / name
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(f"{name} was not found: install the PostgreSQL client tools")


def _version(path: str) -> tuple[int, ...]:
    return tuple(int(p) for p in Path(path).parent.name.split(".") if p.isdigit())


def _pg_env(database: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment (the password never on the command line)."""
    args = ["--dbname", str(database["NAME"])]
    if database.get("HOST"):
        args += ["--host", str(database["HOST"])]
    if database.get("PORT"):
        args += ["--port", str(database["PORT"])]
    if database.get("USER"):
        args += ["--username", str(database["USER"])]
    env = {**os.environ}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return args, env


def _temporary_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.part-{os.getpid()}")


def backup(database: dict[str, Any], out: Path) -> Outcome:
    """Write a backup of ``database`` (a Django DATABASES entry) to ``out``."""
    engine = _engine(database)
    out = out.resolve()
    if not out.parent.is_dir():
        raise BackupError(f"the folder {out.parent} does not exist")
    part = _temporary_beside(out)
    try:
        if engine == "sqlite":
            source_path = Path(str(database["NAME"]))
            if not source_path.is_file():
                raise BackupError(f"there is no database at {source_path}")
            source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
            target = sqlite3.connect(part)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            args, env = _pg_env(database)
            command = [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(part)]
            _run([*command, *args], env)
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
    return Outcome(engine, out, out.stat().st_size)


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tool = Path(command[0]).name
        raise BackupError(f"{tool} failed: {done.stderr.strip() or done.returncode}")


def _kind(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a balm backup (neither a SQLite file nor a pg_dump archive)")


def restore(database: dict[str, Any], backup_file: Path) -> Outcome:
    """Replace the contents of ``database`` with ``backup_file``. Refuses a backup of the
    other engine or a damaged SQLite file before touching anything."""
    engine = _engine(database)
    backup_file = backup_file.resolve()
    if not backup_file.is_file():
        raise BackupError(f"there is no backup at {backup_file}")
    kind = _kind(backup_file)
    if kind != engine:
        raise BackupError(f"{backup_file} is a {kind} backup; this database is {engine}")
    if engine == "sqlite":
        source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
        try:
            status = source.execute("PRAGMA integrity_check").fetchone()[0]
            if status != "ok":
                raise BackupError(f"{backup_file} is damaged: {status}")
            target_path = Path(str(database["NAME"]))
            target_path.parent.mkdir(parents=True, exist_ok=True)
            target = sqlite3.connect(target_path)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
        return Outcome(engine, target_path, target_path.stat().st_size)
    args, env = _pg_env(database)
    command = [
        pg_tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
    ]
    _run([*command, *args, str(backup_file)], env)
    return Outcome(engine, backup_file, backup_file.stat().st_size)
