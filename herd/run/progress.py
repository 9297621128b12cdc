"""``<run>/progress.json``: where a training is, how fast it goes and when it will end, rewritten
atomically every few steps by the training process, so ``herd info`` can show it from the first
steps on (checkpoints come only at the end of a round)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from herd.atomic import write_text_atomic

PROGRESS_NAME = "progress.json"


class ProgressFile:
    """Writes ``progress.json`` at the start and every ``every`` steps.

    Args:
        run_dir: the run folder.
        total: steps the training runs to; step: the step it starts from (a resume's).
    """

    def __init__(self, run_dir: Path, total: int, step: int, every: int = 5):
        self.path = Path(run_dir) / PROGRESS_NAME
        self.total, self.start, self.every = total, step, every
        self.t0 = time.perf_counter()
        self.write(step)

    def update(self, step: int) -> None:
        if step % self.every == 0 or step >= self.total:
            self.write(step)

    def write(self, step: int) -> None:
        elapsed = time.perf_counter() - self.t0
        rate = (step - self.start) / elapsed if step > self.start and elapsed > 0 else None
        write_text_atomic(
            self.path,
            json.dumps(
                {  # not fsynced: on the training's hot path
                    "step": step,
                    "total_steps": self.total,
                    "steps_per_second": rate,
                    "eta_seconds": None if rate is None else (self.total - step) / rate,
                    "pid": os.getpid(),
                    "updated": time.time(),
                }
            ),
            durable=False,
        )


def read_progress(run_dir: Path) -> dict | None:
    """The run's progress record, or None (none written, or unreadable)."""
    try:
        p = json.loads((Path(run_dir) / PROGRESS_NAME).read_text())
    except (OSError, ValueError):
        return None
    return p if isinstance(p, dict) and "step" in p else None


def describe_progress(p: dict, run_dir: str = "<run>") -> str:
    """``"step 40 of 2000, 3.10 steps/s, ETA 0:10:32 (updated 2 s ago by process 123)"`` while the
    training runs; ``"finished at step 2000"`` after its last step; ``"stopped at step 40 of 2000
    ..."`` with how to resume when its process is gone before the end."""
    step, total = p["step"], p["total_steps"]
    if step >= total:
        return f"finished at step {step}"
    if not _alive(p.get("pid")):
        return (
            f"stopped at step {step} of {total} (process {p.get('pid')} is gone); resume with "
            f"herd train --flagfile {run_dir}/opts.log --load_suffix latest"
        )
    rate = p.get("steps_per_second")
    speed = "rate not measured yet" if not rate else f"{rate:.2f} steps/s, ETA {_clock(p['eta_seconds'])}"
    age = max(0.0, time.time() - p.get("updated", time.time()))
    return f"step {step} of {total}, {speed} (updated {age:.0f} s ago by process {p.get('pid')})"


def _alive(pid) -> bool:
    """Whether a process with this id runs on this machine (True when that cannot be told)."""
    if not isinstance(pid, int) or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
