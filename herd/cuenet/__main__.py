"""``python -m herd.cuenet --category quad``: rebuild the shipped cue network from herd's own
generator (deterministic by ``--seed``; see :mod:`herd.cuenet`)."""

from __future__ import annotations

import argparse
import datetime
import json
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m herd.cuenet", description=__doc__)
    p.add_argument("--category", choices=["quad", "human"], default="quad")
    p.add_argument(
        "--videos",
        type=int,
        default=900,
        help="synthetic videos in the training set (up to 300, or a multiple of 300: shards)",
    )
    p.add_argument("--frames", default="24:48", help="frames per video, LO:HI")
    p.add_argument("--res", type=int, default=128, help="render and crop size")
    p.add_argument("--spread", type=float, default=2.0, help="how widely bodies vary, against herd synth's default (1)")
    p.add_argument("--epochs", type=int, default=12, help="passes over the training set")
    p.add_argument("--width", type=int, default=16, help="channels of the network's first level")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--commit", action="store_true", help="count the heatmaps' spread in the joints' loss")
    p.add_argument("--work", type=Path, default=Path("build/cuenet"), help="where the training set is kept")
    p.add_argument("--out", type=Path, default=None, help="weights file (default: the one herd ships)")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    from herd.cuenet.dataset import shard_plan

    try:
        shard_plan(a.videos)
    except ValueError as e:
        p.error(str(e))
    import torch

    from herd.cuenet.dataset import build_shards
    from herd.cuenet.train import train_cue_net
    from herd.data.skeletons import BUILTIN
    from herd.preprocess.cue_net import save_cue_net, weights_path

    torch.set_num_threads(max(torch.get_num_threads(), 1))
    lo, hi = (int(x) for x in a.frames.split(":"))
    t0 = time.perf_counter()
    data = build_shards(
        a.category,
        a.work,
        a.videos,
        (lo, hi),
        a.res,
        a.seed,
        a.spread,
        progress=not a.quiet,
    )
    build_s = time.perf_counter() - t0
    net, metrics = train_cue_net(
        data, a.category, a.epochs, width=a.width, seed=a.seed, progress=not a.quiet, commit=a.commit
    )
    if build_s > 1:  # not when every shard was already built
        metrics["build_seconds"] = round(build_s, 1)
    out = a.out or weights_path(a.category)
    meta = {
        "category": a.category,
        "joint_names": list(BUILTIN[a.category].joint_names),
        "date": datetime.date.today().isoformat(),
        "command": "python -m herd.cuenet "
        + " ".join(
            f"--{k}={v}"
            for k, v in (
                ("category", a.category),
                ("videos", a.videos),
                ("frames", a.frames),
                ("res", a.res),
                ("spread", a.spread),
                ("epochs", a.epochs),
                ("width", a.width),
                ("seed", a.seed),
            )
        )
        + (" --commit" if a.commit else ""),
        "heldout": metrics,
    }
    save_cue_net(net, out, meta)
    print(json.dumps(metrics))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
