"""A data directory is used by one process at a time: `DataDirLock`, an `fcntl` lock on
DATA_DIR/lantau.lock held for the life of the process.

The lock is taken *before* anything in the directory is touched (a devnet's fresh start removes
the previous chain), so a second `lantau devnet` or `lantau node` on a directory in use is
refused with one line naming the process that holds it, and changes nothing. The kernel drops
the lock when its holder exits, even on kill -9: a stale lock file never blocks a restart.

The file holds, as JSON, who holds the lock (`pid`, `command`, and `rpc_url` once the server is
bound), so the refusal can say which process to stop. It is never removed: unlinking a lock
file races with a process that has just opened it.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from node.errors import DataDirInUse

LOCK_FILE = "lantau.lock"



class DataDirLock:
    """The lock on one data directory; `release()` (or the process's exit) gives it up."""

    def __init__(self, data_dir: Path, fd: int, info: dict[str, Any]) -> None:
        self.data_dir, self._fd, self.info = data_dir, fd, info

    @classmethod
    def acquire(cls, data_dir: Path, *, command: str) -> "DataDirLock":
        """Lock `data_dir` (created if missing) or raise `DataDirInUse`; nothing else is touched."""
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise DataDirInUse(data_dir, holder) from None
        lock = cls(data_dir, fd, {"pid": os.getpid(), "command": command})
        lock._write()
        return lock

    def note(self, **fields: Any) -> None:
        """Record more about the holder (e.g. `rpc_url` once bound) for the next refusal."""
        self.info.update(fields)
        self._write()

    def _write(self) -> None:
        data = json.dumps(self.info).encode() + b"\n"
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def release(self) -> None:
        if self._fd >= 0:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> "DataDirLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        raw = os.pread(fd, 4096, 0)
        holder = json.loads(raw) if raw.strip() else {}
        return holder if isinstance(holder, dict) else {}
    except (OSError, ValueError):
        return {}
