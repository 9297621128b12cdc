"""One ``herd train`` per run folder: an exclusive lock on ``<run>/train.lock`` held for the life
of the training.

The lock is ``flock(2)``: the kernel releases it when its holder exits, however it exits
(``kill -9`` included), so the lock file a dead training leaves behind is simply taken over. The
file records the holder's process id, which the refusal names.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from herd.errors import HerdInputError

LOCK_NAME = "train.lock"


@contextlib.contextmanager
def run_lock(run_dir: Path, flag: str = "--logname"):
    """Hold ``run_dir``'s training lock for the block (``run_dir`` is made if missing).

    Raises:
        HerdInputError: another live process holds it; the message names its process id.
    """
    run_dir = Path(run_dir)
    made = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise HerdInputError(
                f"{run_dir}: already being trained by process {holder}; wait for it to end, "
                f"stop it, or choose another {flag}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield path
        finally:
            if made and [p.name for p in run_dir.iterdir()] == [LOCK_NAME]:  # nothing but the lock: undo
                path.unlink()
                run_dir.rmdir()
    finally:
        os.close(fd)  # releases the lock
