"""``herd synth``: render a synthetic category (procedural or from a rigged glTF) with ground truth."""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

from herd.cli.args import ArgumentParser
from herd.errors import HerdInputError
from herd.option_range import Range, check_range, ranged


def build_parser() -> ArgumentParser:
    p = ArgumentParser(prog="herd synth", description="Render a synthetic category of N individuals, one video "
                       "each, with masks, exact flow, keypoints, initial poses and ground truth under gt/.")
    p.add_argument("--category", choices=["human", "quad"], default=None,
                   help="procedural body and skeleton type (default quad); with --asset, the built-in skeleton to map "
                        "the rigs onto (default: guessed from each rig's rest pose)")
    p.add_argument("--asset", type=Path, nargs="+", default=None,
                   help="rigged glTF 2.0 binaries (.glb) to take bodies and motion from; several make one category "
                        "(video i shows asset i mod n) on the built-in skeleton they map onto")
    p.add_argument("--videos", type=ranged(int, Range(1)), default=6, help="number of individuals (one video each)")
    p.add_argument("--frames", default="32", help="frames per video, or a range LO:HI for lengths that vary per video")
    p.add_argument("--res", type=ranged(int, Range(16)), default=96, help="image size in pixels (square)")
    p.add_argument("--seed", type=ranged(int, Range(0)), default=0, help="random seed; the same seed gives byte-identical output")
    p.add_argument("--fps", type=ranged(float, Range(0, above=True)), default=10.0, help="frame rate of the motion")
    p.add_argument("--init_rot_noise_deg", type=ranged(float, Range(0, 180)), default=15.0, help="RMS rotation error of the initial poses")
    p.add_argument("--kp_noise_px", type=ranged(float, Range(0)), default=0.0,
                   help="std of pixel noise on the 2D keypoints; written to video.json as keypoint_sigma_px, "
                        "so training trusts them accordingly")
    p.add_argument("--heldout_views", type=ranged(int, Range(0)), default=2, help="held-out cameras per video (ground truth)")
    p.add_argument("--transfer_pairs", type=ranged(int, Range(0)), default=3, help="motion-transfer targets to render (ground truth)")
    p.add_argument("--actions", default=None, help="comma-separated actions for every video (quad: walk, trot, "
                   "turn, sit; human: walk, run, turn, crouch, wave; or still for a rigid object); random by default. "
                   "With --asset, built-in actions retargeted onto the rigs instead of their own clips")
    p.add_argument("--out", type=Path, required=True, help="dataset folder to create")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it is a herd dataset or an empty folder (anything else is refused)")
    p.add_argument("--workers", type=ranged(int, Range(0)), default=0,
                   help="processes rendering videos side by side (default 0: one per CPU core); the output is "
                        "byte-identical whatever the number")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


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
    a = build_parser().parse_args(argv)
    frames = _frames(a.frames)
    check_range("--frames", frames[0] if isinstance(frames, tuple) else frames, Range(2))
    for f in a.asset or []:
        if not f.is_file():
            raise HerdInputError(f"{f}: no such asset file; pass a rigged glTF 2.0 .glb to --asset")
    from herd.synth.asset_rig import AssetWarning
    from herd.synth.motion import ACTIONS, STILL

    if a.actions:
        kinds = [a.category] if a.category else (["human", "quad"] if a.asset else ["quad"])
        known = set().union(*(ACTIONS[k] for k in kinds)) | {STILL}
        bad = [x for x in a.actions.split(",") if x not in known]
        if bad:
            raise HerdInputError(f"--actions {a.actions}: unknown action {bad[0]!r}; choose from {', '.join(sorted(known))}")

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

    return synthesize(SynthConfig(out=a.out, category=category, asset=a.asset, videos=a.videos, frames=frames,
                                 res=a.res, seed=a.seed, fps=a.fps, init_rot_noise_deg=a.init_rot_noise_deg,
                                 kp_noise_px=a.kp_noise_px, heldout_views=a.heldout_views,
                                 transfer_pairs=a.transfer_pairs, overwrite=a.overwrite, progress=not a.quiet, workers=a.workers,
                                 actions=a.actions.split(",") if a.actions else None))
