"""``herd preprocess``: turn your own videos (or frame folders) into a herd dataset."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import ClassVar

from herd.option_range import Range
from herd.run.flags import parse_flags, to_config


@dataclasses.dataclass
class PreprocessOptions:
    """Videos or frame folders (one per individual) to a dataset.

    Attributes:
        input: video files (mp4, mov, webm, ...) or frame folders.
        category: sets the skeleton.
        out: dataset folder to create, e.g. database/NAME.
        masks: one folder of mask PNGs per input, in order.
        mask_model: salient-object segmentation model (.onnx).
        fps: keep about this many frames per second of a video.
        max_frames: at most this many frames per input (0: all).
        res: side of the square crops around the object, in pixels.
        focal: focal length of the raw frames in pixels (default: larger side).
        min_motion: skip near-duplicate frames moving less (pixels at 256 px; 0 keeps all).
        pose: where keypoints and viewpoints come from: mediapipe (people), cuenet (herd's own
            network, trained on herd synth renders) or none; auto: mediapipe for --category human
            when installed, else cuenet when herd ships one for the category.
        workers: threads for optical flow.
        overwrite: replace --out if it is a herd dataset or an empty folder (anything else is refused).
        quiet: no progress bars.
        verbose: let third-party native log lines through (mediapipe's).
    """

    input: list[Path]
    category: str
    out: Path
    masks: list[Path] | None = None
    mask_model: Path | None = None
    fps: float | None = None
    max_frames: int = 0
    res: int = 256
    focal: float | None = None
    min_motion: float = 0.5
    pose: str = "auto"
    workers: int = 2
    overwrite: bool = False
    quiet: bool = False
    verbose: bool = False

    RANGES: ClassVar[dict[str, Range]] = {
        "fps": Range(0, above=True),
        "max_frames": Range(0),
        "res": Range(32),
        "focal": Range(0, above=True),
        "min_motion": Range(0),
        "workers": Range(1),
    }
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {
        "category": ("human", "quad"),
        "pose": ("auto", "mediapipe", "cuenet", "none"),
    }


def run(argv: list[str]) -> int:
    (a,) = parse_flags(argv, PreprocessOptions, prog="herd preprocess")
    from herd.preprocess.pipeline import PreprocessConfig, preprocess

    t0 = time.perf_counter()
    out = preprocess(to_config(a, PreprocessConfig, inputs=a.input, progress=not a.quiet))
    print(f"wrote {out} ({len(a.input)} videos) in {time.perf_counter() - t0:.0f} s; next: herd info {out}")
    return 0
