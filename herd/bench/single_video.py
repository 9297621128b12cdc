"""Acceptance benchmark of the model and trainer on single synthetic videos.

``python -m herd.bench.single_video [--category quad human] [--minutes 10]`` synthesises one video
of 32 frames per category, trains ``comp_skel-<category>_dense`` within the time budget and
prints the reference-view and held-out-view mask IoU with the wall-clock time.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def run_one(category: str, work: Path, minutes: float, res: int, seed: int, extra: dict) -> dict:
    from herd.data.ground_truth import GroundTruth
    from herd.evaluation.masks import heldout_ious, reference_ious
    from herd.synth.generate import SynthConfig, synthesize
    from herd.train.config import TrainConfig
    from herd.train.trainer import Trainer

    data = work / "database" / f"{category}-1"
    if not data.exists():
        synthesize(SynthConfig(out=data, category=category, videos=1, frames=32, res=res, seed=seed, progress=False))
    kw = dict(seqname=str(data), logname=f"bench-{int(time.time())}", logroot=str(work / "logdir"),
              fg_motion=f"comp_skel-{category}_dense", quiet=True, seed=seed)
    kw.update(extra)
    opts = TrainConfig(**kw)
    t = Trainer(opts)
    t0 = time.perf_counter()
    out = t.run()
    seconds = time.perf_counter() - t0
    ref = reference_ious(t.model, t.cache, t.proxy, t.rcfg)
    held = heldout_ious(t.model, t.cache, GroundTruth(data), t.proxy, t.rcfg, ["v000"], stride=2)["v000"]
    return {"category": category, "train_seconds": round(seconds, 1), "steps": out["steps"],
            "ref_mask_iou": round(float(ref.mean()), 4), "heldout_mask_iou": round(float(held.mean()), 4),
            "rollbacks": out["rollbacks"], "options": extra}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--category", nargs="+", default=["quad", "human"])
    p.add_argument("--work", type=Path, default=Path("bench/runs"))
    p.add_argument("--res", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num_rounds", type=int, default=10)
    p.add_argument("--iters_per_round", type=int, default=150)
    p.add_argument("--set", nargs="*", default=[], help="extra training options name=value")
    a = p.parse_args()
    extra = {"num_rounds": a.num_rounds, "iters_per_round": a.iters_per_round}
    for kv in a.set:
        k, v = kv.split("=", 1)
        extra[k] = type(getattr(__import__("herd.train.config", fromlist=["TrainConfig"]).TrainConfig, k, ""))(v) if hasattr(__import__("herd.train.config", fromlist=["TrainConfig"]).TrainConfig, k) else v
    rows = [run_one(c, a.work, 10, a.res, a.seed, extra) for c in a.category]
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
