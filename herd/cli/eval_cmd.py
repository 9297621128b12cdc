"""``herd eval``: metrics of a trained run into ``logdir/<run>/eval/metrics.json`` and a table."""

from __future__ import annotations

import dataclasses
import json

from herd.cli.output_options import open_trained_run
from herd.errors import HerdInputError


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


def _check(eo: EvalOptions) -> None:
    if eo.stride < 1:
        raise HerdInputError(f"--stride {eo.stride}: use 1 or more")


def run(argv: list[str]) -> int:
    run_, eo = open_trained_run("eval", argv, EvalOptions, _check)
    from herd.evaluation.evaluate import evaluate, format_table

    result = evaluate(run_, eo.stride, eo.grid_size, eo.points, progress=not run_.opts.quiet)
    out = run_.run_dir / "eval" / "metrics.json"
    out.parent.mkdir(exist_ok=True)
    tmp = out.with_name("metrics.json.tmp")
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(out)
    print(format_table(result["metrics"]))
    print(f"wrote {out}")
    return 0
