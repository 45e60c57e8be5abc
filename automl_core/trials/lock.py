"""One live run per results folder.

A run (or a resume) that writes a results folder holds an exclusive ``flock`` on
``<folder>/.automl.lock`` from before it touches the journal until its results are saved. A
second run, or ``automl resume`` of a run that is still alive, is refused with
:class:`FolderInUse` (exit 2 on the command line) and touches nothing in the folder. The kernel
drops the lock when its process ends, however it ends (``SIGKILL`` included), so a crashed run
never leaves the folder stuck: the lock file may stay behind, but nothing holds it.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

__all__ = ["FolderInUse", "FolderLock", "LOCK_FILE"]

LOCK_FILE = ".automl.lock"


class FolderInUse(RuntimeError):
    """The results folder belongs to a run that is still alive."""


class FolderLock:
    """The lock on one results folder (see the module docstring); ``release`` is idempotent."""

    def __init__(self, directory: str | Path):
        self.dir = Path(directory)
        self.path = self.dir / LOCK_FILE
        self._fd: int | None = None

    def __getstate__(self):  # pickled with the journal by Ray Tune: the lock stays here
        return {**self.__dict__, "_fd": None}

    def acquire(self, action: str = "run") -> FolderLock:
        import fcntl

        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise self._in_use(fd, action) from None
        os.ftruncate(fd, 0)
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "command": " ".join(sys.argv)[:300],
        }
        os.write(fd, json.dumps(info).encode())
        self._fd = fd
        return self

    def refuse_if_held(self, action: str = "run") -> None:
        """Raise :class:`FolderInUse` now if a live run holds the folder; create nothing.

        A probe, not a lock: a run calls it before its slow start (Ray, reading the table) so
        that a busy folder is refused at once; :meth:`acquire` still takes the lock later."""
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:  # no lock file (a new folder) or unreadable: acquire() decides
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise self._in_use(fd, action) from None
        os.close(fd)  # free: closing drops the probe's flock

    def _in_use(self, fd: int, action: str) -> FolderInUse:
        holder = _read_holder(fd)
        os.close(fd)
        return FolderInUse(
            f"results folder {self.dir} is in use by a run that is still alive{holder}. "
            f"Nothing was changed. Wait for that run to end (or stop it) before you {action} "
            "here, or give another results folder."
        )

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops the flock

    @property
    def held(self) -> bool:
        return self._fd is not None


def _read_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return ""
    if not info:
        return ""
    cmd = f": {info['command']}" if info.get("command") else ""
    return f" (pid {info.get('pid')} on {info.get('host')}, since {info.get('started')}{cmd})"
