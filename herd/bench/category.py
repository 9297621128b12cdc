"""Acceptance benchmark of the category model on synthetic categories.

``python -m herd.bench.category [--category quad human] [--videos 6] [--res 96] [--set name=value ...]``
synthesises ``--videos`` individuals of 32 frames each (15 degrees of initial rotation noise),
trains ``comp_skel-<category>_dense --nosingle_inst`` for 24 rounds of 250 steps or until the
25-minute budget of the acceptance ends (``--max_minutes 24.5``: the last round stops there and the
model is saved) on 2 CPU cores, and prints, as one JSON line per category: training time, the
reference-view and held-out-view mask IoU (mean over every individual) and the Pearson r of
learned and true bone lengths over individuals and bones. ``--videos 1 --single_inst`` is the
single-video benchmark (``herd.bench.single_video``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path
from typing import Any


def run_one(
    category: str,
    work: Path,
    videos: int,
    res: int,
    seed: int,
    extra: dict,
    single_inst: bool = False,
    model_extra: dict | None = None,
) -> dict:
    """Synthesise (once), train, evaluate; returns the JSON-able row. ``extra`` and
    ``model_extra``: training and model options beyond the defaults."""
    import numpy as np

    from herd.evaluation.masks import heldout_ious, reference_ious
    from herd.evaluation.skeleton import bone_length_r, learned_bone_lengths
    from herd.evaluation.truth import link_truth
    from herd.model.fg_motion import FgMotion
    from herd.model.model import ModelConfig
    from herd.run.options import TrainConfig
    from herd.synth.generate import SynthConfig, synthesize
    from herd.train.trainer import Trainer

    data = work / "database" / f"{category}-{videos}-r{res}-s{seed}"
    if not data.exists():
        synthesize(
            SynthConfig(out=data, category=category, videos=videos, frames=32, res=res, seed=seed, progress=False)
        )
    kw: dict[str, Any] = dict(
        seqname=str(data), logname=f"bench-{int(time.time())}", logroot=str(work / "logdir"), quiet=True, seed=seed
    )
    kw.update(extra)
    mkw = dict(model_extra or {}, fg_motion=FgMotion(category, soft=True), single_inst=single_inst)
    t = Trainer(TrainConfig(**kw), ModelConfig(**mkw))
    t0 = time.perf_counter()
    out = t.run()
    seconds = time.perf_counter() - t0
    names = [v.name for v in t.ds.videos]
    truth = link_truth(t.ds)
    assert truth is not None and t.proxy is not None  # a synthetic dataset has ground truth; run() built a proxy
    gt = truth.gt
    ref = reference_ious(t.model, t.cache, t.proxy, t.rcfg)
    held = heldout_ious(t.model, t.cache, truth, t.proxy, t.rcfg, stride=2)
    row = {
        "category": category,
        "videos": videos,
        "res": res,
        "train_seconds": round(seconds, 1),
        "steps": out["steps"],
        "ref_mask_iou": round(float(ref.mean()), 4),
        "heldout_mask_iou": round(float(np.mean([h.mean() for h in held.values()])), 4),
        "heldout_per_video": {k: round(float(v.mean()), 4) for k, v in held.items()},
        "rollbacks": out["rollbacks"],
        "run": str(t.run_dir),
        "options": {**extra, **(model_extra or {})},
    }
    if videos > 1 and not single_inst:
        true = np.array([gt.body(n)["bone_lengths"] for n in names])
        learned = learned_bone_lengths(t.model)
        row["bone_length_r"] = round(bone_length_r(learned, true), 4)
        row["bone_length_r_category_scale"] = round(bone_length_r(learned, true, per_individual_scale=False), 4)
    return row


def parse_extra(sets: list[str], base: dict) -> tuple[dict, dict]:
    """``name=value`` options, typed through the trainer's own flag parser: ``(training options
    over base, model options)``."""
    from herd.model.model import ModelConfig
    from herd.run.flags import parse_flags
    from herd.run.options import TrainConfig

    train, model = parse_flags(["--seqname=x"] + [f"--{kv}" for kv in sets], TrainConfig, ModelConfig)
    names = [kv.split("=", 1)[0] for kv in sets]
    model_names = {f.name for f in dataclasses.fields(ModelConfig)}
    extra = dict(base)
    extra.update({n: getattr(train, n) for n in names if n not in model_names})
    return extra, {n: getattr(model, n) for n in names if n in model_names}


def main(argv: list[str] | None = None) -> None:
    from herd.model.numerics import set_process_numerics

    set_process_numerics()  # process-wide, once at start-up
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--category", nargs="+", default=["quad", "human"])
    p.add_argument("--work", type=Path, default=Path("bench/runs"))
    p.add_argument("--videos", type=int, default=6)
    p.add_argument("--res", type=int, default=96)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num_rounds", type=int, default=24)
    p.add_argument("--iters_per_round", type=int, default=250)
    p.add_argument("--max_minutes", type=float, default=24.5, help="training time budget (0: none)")
    p.add_argument("--single_inst", action="store_true")
    p.add_argument("--set", nargs="*", default=[], help="extra training or model options name=value")
    a = p.parse_args(argv)
    fixed = {"fg_motion", "single_inst", "seqname", "logname", "logroot", "data_root"} & {
        kv.split("=", 1)[0] for kv in a.set
    }
    if fixed:
        p.error(
            f"--set {', '.join(sorted(fixed))}: chosen by the benchmark itself (use --category, --single_inst, --work)"
        )
    base = {"num_rounds": a.num_rounds, "iters_per_round": a.iters_per_round, "max_minutes": a.max_minutes}
    extra, model_extra = parse_extra(a.set, base)
    for c in a.category:
        print(json.dumps(run_one(c, a.work, a.videos, a.res, a.seed, extra, a.single_inst, model_extra)), flush=True)


if __name__ == "__main__":
    main()
