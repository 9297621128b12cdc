"""``herd synth``: render a synthetic category (procedural or from a rigged glTF) with ground truth."""

from __future__ import annotations

import dataclasses
import sys
import time
import warnings
from pathlib import Path
from typing import ClassVar

from herd.errors import HerdInputError
from herd.option_range import Range, check_range
from herd.run.flags import parse_flags, to_config


@dataclasses.dataclass
class SynthOptions:
    """Render a synthetic category of N individuals, one video each, with masks, exact flow, keypoints, initial poses and ground truth under gt/.

    Attributes:
        out: dataset folder to create.
        category: procedural body and skeleton type (default quad); with --asset, the built-in
            skeleton to map the rigs onto (default: guessed from each rig's rest pose).
        asset: rigged glTF 2.0 binaries (.glb) to take bodies and motion from; several make one
            category (video i shows asset i mod n) on the built-in skeleton they map onto.
        videos: number of individuals (one video each).
        frames: frames per video, or a range LO:HI for lengths that vary per video.
        res: image size in pixels (square).
        seed: random seed; the same seed gives byte-identical output.
        fps: frame rate of the motion.
        init_rot_noise_deg: RMS rotation error of the initial poses.
        kp_noise_px: std of pixel noise on the 2D keypoints; written to video.json as
            keypoint_sigma_px, so training trusts them accordingly.
        heldout_views: held-out cameras per video (ground truth).
        transfer_pairs: motion-transfer targets to render (ground truth).
        actions: comma-separated actions for every video (quad: walk, trot, turn, sit; human: walk,
            run, turn, crouch, wave; or still for a rigid object); random by default. With
            --asset, built-in actions retargeted onto the rigs instead of their own clips.
        overwrite: replace --out if it is a herd dataset or an empty folder (anything else is refused).
        workers: processes rendering videos side by side (default 0: one per CPU core); the output is
            byte-identical whatever the number.
        quiet: no progress bar.
    """

    out: Path
    category: str | None = None
    asset: list[Path] | None = None
    videos: int = 6
    frames: str = "32"
    res: int = 96
    seed: int = 0
    fps: float = 10.0
    init_rot_noise_deg: float = 15.0
    kp_noise_px: float = 0.0
    heldout_views: int = 2
    transfer_pairs: int = 3
    actions: str | None = None
    overwrite: bool = False
    workers: int = 0
    quiet: bool = False

    RANGES: ClassVar[dict[str, Range]] = {
        "videos": Range(1),
        "res": Range(16),
        "seed": Range(0),
        "fps": Range(0, above=True),
        "init_rot_noise_deg": Range(0, 180),
        "kp_noise_px": Range(0),
        "heldout_views": Range(0),
        "transfer_pairs": Range(0),
        "workers": Range(0),
    }
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"category": ("human", "quad")}


def _frames(text: str) -> int | tuple[int, int]:
    """``--frames``: ``N`` or ``LO:HI``."""
    try:
        parts = [int(x) for x in text.split(":")]
    except ValueError:
        parts = []
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2 and parts[0] <= parts[1]:
        return parts[0], parts[1]
    raise HerdInputError(f"--frames {text}: give a number of frames (32) or a range LO:HI with LO <= HI (32:64)")


def run(argv: list[str]) -> int:
    (a,) = parse_flags(argv, SynthOptions, prog="herd synth")
    frames = _frames(a.frames)
    check_range("--frames", frames[0] if isinstance(frames, tuple) else frames, Range(2))
    for f in a.asset or []:
        if not f.is_file():
            raise HerdInputError(f"{f}: no such asset file; pass a rigged glTF 2.0 .glb to --asset")
    from herd.synth.motion import ACTIONS, STILL
    from herd.synth.rig_parts import AssetWarning

    if a.actions:
        kinds = [a.category] if a.category else (["human", "quad"] if a.asset else ["quad"])
        known = set().union(*(ACTIONS[k] for k in kinds)) | {STILL}
        bad = [x for x in a.actions.split(",") if x not in known]
        if bad:
            raise HerdInputError(
                f"--actions {a.actions}: unknown action {bad[0]!r}; choose from {', '.join(sorted(known))}"
            )

    t0 = time.perf_counter()
    category = a.category if a.asset or a.category else "quad"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AssetWarning)
        out = _synthesize(a, category, frames)
    for w in caught:
        if issubclass(w.category, AssetWarning):
            sys.stderr.write(f"herd synth: warning: {w.message}\n")
    print(f"wrote {out} ({a.videos} videos x {a.frames} frames at {a.res}px) in {time.perf_counter() - t0:.1f} s")
    return 0


def _synthesize(a, category, frames) -> Path:
    from herd.synth.generate import SynthConfig, synthesize

    return synthesize(
        to_config(
            a,
            SynthConfig,
            category=category,
            frames=frames,
            progress=not a.quiet,
            actions=a.actions.split(",") if a.actions else None,
        )
    )
