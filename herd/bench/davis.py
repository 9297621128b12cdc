"""Real videos: the DAVIS clips beside this repository (``../shared/data/davis``) through
``herd preprocess`` and the category model.

``python -m herd.bench.davis [--category quad human] [--minutes 25] [--res 128]``

``quad`` is dog, libby and cows; ``human`` is breakdance and dance-twirl. Each category is
preprocessed with the clips' own masks (people also get mediapipe's initial poses and
keypoints), trained with the default ``--init_pose auto`` (those poses for people, the orientation
search for animals) under a wall-clock budget, and evaluated on the reference view (the only
image metrics real videos have) and for wholeness from every side: a frozen-time turntable of
every clip (12 views, :mod:`herd.evaluation.turntable`), whose floaters (the share of opacity
outside the largest blob, mean over the views) are printed per clip and whose pictures are saved
as ``<run>/turntable_<clip>.png``. Prints one JSON line per category.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

from herd.bench.prepared import is_current, mark_current, preprocess_fingerprint

REPO = Path(__file__).resolve().parents[2]
DAVIS = REPO.parent / "shared" / "data" / "davis"
CLIPS = {"quad": ["dog", "libby", "cows"], "human": ["breakdance", "dance-twirl"]}


def run_category(
    category: str, work: Path, minutes: float, res: int, train_res: int, seed: int, train_flags: Sequence[str] = ()
) -> dict:
    from herd.cli.main import main as herd

    data = work / "database" / f"davis-{category}"
    fingerprint = f"{preprocess_fingerprint()}-r{res}"
    if not is_current(data, fingerprint):
        clips = CLIPS[category]
        code = herd(
            [
                "preprocess",
                "--input",
                *[str(DAVIS / c / "JPEGImages") for c in clips],
                "--masks",
                *[str(DAVIS / c / "Annotations") for c in clips],
                "--category",
                category,
                "--res",
                str(res),
                "--out",
                str(data),
                "--overwrite",
                "--quiet",
            ]
        )
        assert code == 0, "preprocess failed"
        mark_current(data, fingerprint)
    logroot = work / "logdir"
    steps = int(minutes * 60 / 0.3)
    t0 = time.perf_counter()
    code = herd(
        [
            "train",
            "--seqname",
            str(data),
            "--logname",
            "bench",
            "--logroot",
            str(logroot),
            "--fg_motion",
            f"comp_skel-{category}_dense",
            "--nosingle_inst",
            "--num_rounds",
            "16",
            "--iters_per_round",
            str(max(steps // 16, 10)),
            "--max_minutes",
            str(minutes),
            "--train_res",
            str(train_res),
            "--seed",
            str(seed),
            "--quiet",
            *train_flags,
        ]
    )
    assert code == 0, "training failed"
    train_s = time.perf_counter() - t0
    run = logroot / f"davis-{category}-bench"
    flag = f"--flagfile={run / 'opts.log'}"
    herd(["eval", flag, "--quiet"])
    metrics = json.loads((run / "eval" / "metrics.json").read_text())["metrics"]
    return {
        "category": category,
        "clips": CLIPS[category],
        "train_minutes": round(train_s / 60, 2),
        "ref_mask_iou": metrics["ref_mask_iou"],
        "ref_psnr": metrics["ref_psnr"]["mean"],
        "floaters": turntables(run),
        "run": str(run),
    }


def turntables(run: Path, res: int = 160) -> dict[str, float]:
    """Frozen-time turntables (time held mid-clip) of every clip of a run: floaters per clip, and
    the pictures (colour over normals) saved beside the run."""
    import numpy as np
    from PIL import Image

    from herd.evaluation.turntable import contact_sheet, turntable
    from herd.model.model import ModelConfig
    from herd.run.flags import parse_flags
    from herd.run.loaded_run import load_run
    from herd.run.options import TrainConfig

    opts, cfg = parse_flags([f"--flagfile={run / 'opts.log'}", "--quiet"], TrainConfig, ModelConfig)
    loaded = load_run(opts, cfg)
    out = {}
    for v, name in enumerate(loaded.video_names):
        tt = turntable(loaded, v, len(loaded.cache.video_frames(v)) // 2, res=res)
        out[name] = round(float(tt["floaters"].mean()), 4)
        Image.fromarray(contact_sheet([tt["rgb"], tt["normal"]])).save(run / f"turntable_{name}.png")
    out["max"] = round(max(out.values()), 4)
    return {**out, "mean": round(float(np.mean([out[n] for n in loaded.video_names])), 4)}


def main(argv: list[str] | None = None) -> None:
    from herd.model.numerics import set_process_numerics

    set_process_numerics()  # process-wide, once at start-up
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--category", nargs="+", default=["quad", "human"], choices=list(CLIPS))
    p.add_argument("--minutes", type=float, default=25.0)
    p.add_argument("--res", type=int, default=128, help="dataset crop size")
    p.add_argument("--train_res", type=int, default=96)
    p.add_argument("--work", type=Path, default=Path("bench/runs"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--train_flag",
        action="append",
        default=[],
        help="an extra herd train flag, e.g. --train_flag=--mask_wt=2 (repeatable)",
    )
    a = p.parse_args(argv)
    for c in a.category:
        print(json.dumps(run_category(c, a.work, a.minutes, a.res, a.train_res, a.seed, a.train_flag)), flush=True)


if __name__ == "__main__":
    main()
