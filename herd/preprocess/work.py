"""What the pipeline keeps while it works: each video's stage outputs under ``<out>.work/<name>/``
(so an interrupted run resumes where it stopped, and a changed input or option starts afresh),
and the seconds each stage took."""

from __future__ import annotations

import contextlib
import shutil
import time
from pathlib import Path

import numpy as np


class VideoWork:
    """Stage outputs of one video under ``<out>.work/<name>/``."""

    def __init__(self, root: Path, key: str):
        self.root = root
        if (root / "key.txt").is_file() and (root / "key.txt").read_text() != key:
            shutil.rmtree(root)
        root.mkdir(parents=True, exist_ok=True)
        (root / "key.txt").write_text(key)

    def has(self, name: str) -> bool:
        return (self.root / f"{name}.npy").is_file()

    def save(self, name: str, a: np.ndarray) -> None:
        tmp = self.root / f"{name}.tmp.npy"
        np.save(tmp, a)
        tmp.replace(self.root / f"{name}.npy")

    def load(self, name: str) -> np.ndarray:
        return np.load(self.root / f"{name}.npy")


class StageTimes:
    """Seconds per preprocessing stage, summed over videos: ``with times("flow"): ...``."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, stage: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - t0

    def summary(self, frames: int) -> str:
        """One line: each stage's seconds and milliseconds per input frame."""
        return "; ".join(f"{k} {v:.1f} s ({1000 * v / max(frames, 1):.0f} ms/frame)" for k, v in self.seconds.items())
