"""Where an ingest works beside its database, and how it keeps other ingests out.

An ingest builds the new database in a work folder ``.<db>.<pid>.<random>`` beside the old one and
replaces the old file only when the new one is complete. A lock file ``<db>.lock`` holding the
process id makes a second ingest into the same database refuse to start (the last writer used to
win silently); a lock or work folder left by a process that is gone (killed, crashed) is removed
at the next start. Process liveness is checked without signals on Windows, where ``os.kill(pid, 0)``
would end the process.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ..errors import InputError


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs (on this machine)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_abandoned_work(database: Path) -> None:
    """Delete work folders of earlier ingests whose process is gone (killed or crashed)."""
    for folder in database.parent.glob(f".{database.name}.*"):
        try:
            pid = int(folder.name[len(database.name) + 2:].split(".", 1)[0])
        except ValueError:
            continue
        if folder.is_dir() and not process_alive(pid):
            shutil.rmtree(folder, ignore_errors=True)


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def acquire_lock(database: Path) -> Path:
    """Take the database's ingest lock, or refuse with who holds it. A lock whose process is gone
    is taken over. Returns the lock file, for ``release_lock``."""
    lock = lock_path(database)
    for _ in range(3):  # a stale lock removed, then taken; a race lost, then reported
        try:
            descriptor = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                holder = int(lock.read_text(encoding="ascii").strip() or 0)
            except (OSError, ValueError):
                holder = 0
            if holder and process_alive(holder):
                raise InputError(f"{database}: another ingest (process {holder}) is writing this database now;"
                                 " wait for it to finish, or stop it, and ingest again") from None
            lock.unlink(missing_ok=True)  # left by an ingest that was killed
            continue
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(str(os.getpid()))
        return lock
    raise InputError(f"{database}: could not take the ingest lock {lock.name}; another ingest is starting")


def release_lock(lock: Path) -> None:
    lock.unlink(missing_ok=True)


def replace_database(building: Path, database: Path) -> None:
    """Put the new database in place of the old one, with the old one's write-ahead log removed:
    a ``.wal`` left by a crashed read-write session belongs to the old file, and DuckDB would
    replay it onto the new one ("WAL does not match database file")."""
    database.with_name(database.name + ".wal").unlink(missing_ok=True)
    os.replace(building, database)
