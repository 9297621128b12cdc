"""``herd demo``: the workflow on a small built-in synthetic category, start to finish.

What exists today: synthesise, train, summarise. Rendering, export, re-animation, evaluation and
the report join as they land.
"""

from __future__ import annotations

import time
from pathlib import Path

from herd.cli.args import ArgumentParser


def run(argv: list[str]) -> int:
    p = ArgumentParser(prog="herd demo", description="Synthesise a small quadruped category and train on it.")
    p.add_argument("--out", type=Path, default=Path("demo"), help="folder for the data and the run")
    p.add_argument("--quick", action="store_true", help="a smoke test of about a minute")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    from herd.cli.run_info import print_run_summary, run_summary
    from herd.synth.generate import SynthConfig, synthesize
    from herd.model.model import ModelConfig
    from herd.train.config import TrainConfig
    from herd.train.trainer import Trainer

    t0 = time.perf_counter()
    data = a.out / "database" / "demo-quad"
    print(f"[1/3] herd synth --category quad --videos 2 --frames 24 --res 64 --out {data}")
    if not (data / "manifest.json").exists():
        synthesize(SynthConfig(out=data, category="quad", videos=2, frames=24, res=64, seed=a.seed, transfer_pairs=1))
    rounds, iters = (2, 25) if a.quick else (8, 100)
    print(f"[2/3] herd train --seqname {data} --logname demo --fg_motion comp_skel-quad_dense --nosingle_inst "
          f"--num_rounds {rounds} --iters_per_round {iters}")
    t = Trainer(TrainConfig(seqname=str(data), logname="demo", logroot=str(a.out / "logdir"), num_rounds=rounds,
                            iters_per_round=iters, seed=a.seed),
                ModelConfig(fg_motion="comp_skel-quad_dense", single_inst=False))
    t.run()
    print(f"[3/3] herd info {t.run_dir}")
    print_run_summary(run_summary(t.run_dir))
    print(f"done in {time.perf_counter() - t0:.0f} s; TensorBoard: tensorboard --logdir {a.out / 'logdir'}")
    return 0
