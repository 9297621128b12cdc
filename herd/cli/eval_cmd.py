"""``herd eval``: metrics of a trained run into ``logdir/<run>/eval/metrics.json`` and a table."""

from __future__ import annotations

import dataclasses
import json

from herd.errors import HerdInputError
from herd.model.model import ModelConfig
from herd.train.config import TrainConfig
from herd.train.flags import parse_flags
from herd.train.run_dir import record_command


@dataclasses.dataclass
class EvalOptions:
    """Evaluation options.

    Attributes:
        stride: evaluate every stride-th frame of each video.
        grid_size: marching-cubes grid of the meshes compared with the true ones.
        points: surface points sampled per mesh for Chamfer and F-score.
    """

    stride: int = 1
    grid_size: int = 128
    points: int = 5000


def run(argv: list[str]) -> int:
    opts, model_cfg, eo = parse_flags(argv, TrainConfig, ModelConfig, EvalOptions, prog="herd eval")
    from herd.evaluation.evaluate import evaluate, format_table
    from herd.train.loaded_run import load_run

    if eo.stride < 1:
        raise HerdInputError(f"--stride {eo.stride}: use 1 or more")
    run_ = load_run(opts, model_cfg)
    record_command(run_.run_dir, "eval", argv)
    result = evaluate(run_, eo.stride, eo.grid_size, eo.points, progress=not opts.quiet)
    out = run_.run_dir / "eval" / "metrics.json"
    out.parent.mkdir(exist_ok=True)
    tmp = out.with_name("metrics.json.tmp")
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(out)
    print(format_table(result["metrics"]))
    print(f"wrote {out}")
    return 0
