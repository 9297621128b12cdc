"""Acceptance benchmark of the model and trainer on single synthetic videos.

``python -m herd.bench.single_video [--category quad human] [--res 96] [--set name=value ...]``
synthesises one video of 32 frames per category (15 degrees of initial rotation noise), trains
``comp_skel-<category>_dense`` for 10 rounds of 150 steps (about 10 minutes on 2 CPU cores at
96 px) and prints the reference-view and held-out-view mask IoU with the wall-clock time.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path



def run_one(category: str, work: Path, res: int, seed: int, extra: dict) -> dict:
    from herd.data.ground_truth import GroundTruth
    from herd.evaluation.masks import heldout_ious, reference_ious
    from herd.synth.generate import SynthConfig, synthesize
    from herd.model.model import ModelConfig
    from herd.train.config import TrainConfig
    from herd.train.trainer import Trainer

    data = work / "database" / f"{category}-1"
    if not data.exists():
        synthesize(SynthConfig(out=data, category=category, videos=1, frames=32, res=res, seed=seed, progress=False))
    kw = dict(seqname=str(data), logname=f"bench-{int(time.time())}", logroot=str(work / "logdir"), quiet=True, seed=seed)
    kw.update(extra)
    t = Trainer(TrainConfig(**kw), ModelConfig(fg_motion=f"comp_skel-{category}_dense"))
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
    p.add_argument("--res", type=int, default=96)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num_rounds", type=int, default=10)
    p.add_argument("--iters_per_round", type=int, default=150)
    p.add_argument("--set", nargs="*", default=[], help="extra training options name=value")
    a = p.parse_args()
    from herd.train.config import TrainConfig
    from herd.train.flags import parse_flags

    extra = {"num_rounds": a.num_rounds, "iters_per_round": a.iters_per_round}
    given = parse_flags(["--seqname=x"] + [f"--{kv}" for kv in a.set], TrainConfig)[0]
    extra.update({kv.split("=", 1)[0]: getattr(given, kv.split("=", 1)[0]) for kv in a.set})
    rows = [run_one(c, a.work, a.res, a.seed, extra) for c in a.category]
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
