"""SIGINT (Ctrl-C) and SIGTERM (``docker stop``, Slurm, Kubernetes) during ``herd train``: the
handler only records the signal, and the training loop stops at the next step boundary, saves the
state as of the end of the last completed step and exits 128 + the signal's number (130, 143).
Resuming with ``--load_suffix latest`` then continues exactly as if never stopped. A second signal
stops at once, without saving (the checkpoint files stay whole: they are written atomically)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Called between steps: True once a stop signal has arrived."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self) -> bool:
        return self.signum is not None

    @property
    def name(self) -> str:
        assert self.signum is not None, "no signal arrived"
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        """The shell's code for a process ended by the signal: 130 for SIGINT, 143 for SIGTERM."""
        assert self.signum is not None, "no signal arrived"
        return 128 + self.signum


@contextlib.contextmanager
def stop_at_step_boundary():
    """Within the block SIGINT and SIGTERM set the yielded :class:`StopRequest` instead of
    interrupting; the previous handlers come back after it (main thread only)."""
    stop = StopRequest()

    def handler(signum, frame):
        if stop():  # the second signal: the default action, now
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        stop.signum = signum
        sys.stderr.write(f"\n{stop.name}: stopping after this step and saving (send it again to stop at once)\n")

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
