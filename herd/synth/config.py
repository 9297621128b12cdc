"""The options of ``herd synth`` (:class:`SynthConfig`) and what follows from them alone."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np


@dataclasses.dataclass
class SynthConfig:
    """Options of ``herd synth``.

    Attributes:
        out: dataset folder to create.
        category: ``human`` or ``quad`` (procedural bodies); with ``asset``, the built-in skeleton
            to map the rigs onto (``None``: guessed from each rig's rest pose).
        asset: a rigged glTF 2.0 file, or several, to take bodies and motion from. Several make
            one category: video ``i`` shows asset ``i mod n``, and every body reports its joints
            on the built-in skeleton its rig was mapped to (herd.synth.asset).
        videos: number of individuals, one video each.
        frames: frames per video, or ``(lo, hi)``: each video's length drawn from lo..hi
            (inclusive, by :func:`video_frames`).
        res: image size in pixels (square).
        seed: random seed; the same seed gives byte-identical output.
        fps: frame rate of the motion.
        init_rot_noise_deg: RMS rotation error of the initial poses (emulates a viewpoint network).
        kp_noise_px: standard deviation of noise added to the 2D keypoints.
        heldout_views: held-out cameras per video for novel-view metrics.
        transfer_pairs: how many (A, B) motion-transfer targets to render.
        actions: force these actions for every video (e.g. ``["walk", "turn"]``, or ``["still"]``
            for a rigid object); random per video when None. On assets, built-in actions
            retargeted onto the rigs instead of their own clips.
        morphology_spread: how far individuals vary (:func:`herd.synth.bodies.sample_morphology`;
            1 for the benchmark categories, 2 for the cue network's training set).
        flow: render the exact optical flow (off for data that only needs frames, masks and
            ground truth, such as the cue network's training set; the dataset then lists no
            flow gaps).
        name: dataset name (default: the folder name).
        overwrite: replace an existing dataset folder.
        progress: show progress bars.
        workers: processes that render videos side by side (0: one per CPU core, at most one per
            video; 1: all in this process). The output is byte-identical whatever the number.
    """

    out: Path
    category: str | None = "quad"
    asset: Path | list[Path] | None = None
    videos: int = 6
    frames: int | tuple[int, int] = 32
    res: int = 96
    seed: int = 0
    fps: float = 10.0
    init_rot_noise_deg: float = 15.0
    kp_noise_px: float = 0.0
    heldout_views: int = 2
    transfer_pairs: int = 3
    actions: list[str] | None = None
    morphology_spread: float = 1.0
    flow: bool = True
    name: str | None = None
    overwrite: bool = False
    progress: bool = True
    workers: int = 1


def video_frames(cfg: SynthConfig, video: int) -> int:
    """Frames of video ``video``: ``cfg.frames``, or for a range a length drawn from its own random
    stream, so that fixed lengths give the same videos as before and a video's length does not
    depend on how many videos there are."""
    if isinstance(cfg.frames, int):
        return cfg.frames
    lo, hi = cfg.frames
    return int(np.random.default_rng([cfg.seed, video, 1]).integers(lo, hi + 1))
