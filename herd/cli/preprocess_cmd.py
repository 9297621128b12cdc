"""``herd preprocess``: turn your own videos (or frame folders) into a herd dataset."""

from __future__ import annotations

import time
from pathlib import Path

from herd.cli.args import ArgumentParser
from herd.option_range import Range, ranged


def run(argv: list[str]) -> int:
    p = ArgumentParser(prog="herd preprocess", description="Videos or frame folders (one per individual) to a dataset.")
    p.add_argument("--input", nargs="+", type=Path, required=True, help="video files (mp4, mov, webm, ...) or frame folders")
    p.add_argument("--category", choices=["human", "quad"], required=True, help="sets the skeleton")
    p.add_argument("--out", type=Path, required=True, help="dataset folder to create, e.g. database/NAME")
    p.add_argument("--masks", nargs="+", type=Path, default=None, help="one folder of mask PNGs per input, in order")
    p.add_argument("--mask_model", type=Path, default=None, help="salient-object segmentation model (.onnx)")
    p.add_argument("--fps", type=ranged(float, Range(0, above=True)), default=None, help="keep about this many frames per second of a video")
    p.add_argument("--max_frames", type=ranged(int, Range(0)), default=0, help="at most this many frames per input (0: all)")
    p.add_argument("--res", type=ranged(int, Range(32)), default=256, help="side of the square crops around the object, in pixels")
    p.add_argument("--focal", type=ranged(float, Range(0, above=True)), default=None, help="focal length of the raw frames in pixels (default: larger side)")
    p.add_argument("--min_motion", type=ranged(float, Range(0)), default=0.5, help="skip near-duplicate frames moving less (pixels at 256 px; 0 keeps all)")
    p.add_argument("--pose", choices=["auto", "mediapipe", "cuenet", "none"], default="auto",
                   help="where keypoints and viewpoints come from: mediapipe (people), cuenet (herd's own network, "
                        "trained on herd synth renders) or none; auto: mediapipe for --category human when installed, "
                        "else cuenet when herd ships one for the category")
    p.add_argument("--workers", type=ranged(int, Range(1)), default=2, help="threads for optical flow")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it is a herd dataset or an empty folder (anything else is refused)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--verbose", action="store_true", help="let third-party native log lines through (mediapipe's)")
    a = p.parse_args(argv)
    from herd.preprocess.pipeline import PreprocessConfig, preprocess

    t0 = time.perf_counter()
    out = preprocess(PreprocessConfig(inputs=a.input, category=a.category, out=a.out, masks=a.masks,
                                      mask_model=a.mask_model, fps=a.fps, max_frames=a.max_frames, res=a.res,
                                      focal=a.focal, min_motion=a.min_motion, workers=a.workers, pose=a.pose,
                                      overwrite=a.overwrite, progress=not a.quiet, verbose=a.verbose))
    print(f"wrote {out} ({len(a.input)} videos) in {time.perf_counter() - t0:.0f} s; next: herd info {out}")
    return 0
