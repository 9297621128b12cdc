"""``herd eval``: metrics of a trained run into ``logdir/<run>/eval/metrics.json`` and a table."""

from __future__ import annotations

import dataclasses
import json
from typing import ClassVar

from herd.atomic import write_text_atomic
from herd.cli.output_options import open_trained_run
from herd.errors import HerdInputError
from herd.option_range import Range


@dataclasses.dataclass
class EvalOptions:
    """Evaluation options.

    Attributes:
        stride: evaluate every stride-th frame of each video.
        grid_size: marching-cubes grid of the meshes compared with the true ones.
        points: surface points sampled per mesh for Chamfer and F-score.
        gt: a herd synth dataset to score against, videos matched by name (default: the ground
            truth the run's dataset has or records, docs/evaluation.md).
    """

    stride: int = 1
    grid_size: int = 128
    points: int = 5000
    gt: str = ""

    RANGES: ClassVar[dict[str, Range]] = {"stride": Range(1), "grid_size": Range(16), "points": Range(100)}


def _check(eo: EvalOptions) -> None:
    if eo.gt:
        from pathlib import Path

        if not (Path(eo.gt) / "gt" / "info.json").is_file():
            raise HerdInputError(f"--gt {eo.gt}: not a herd synth dataset with ground truth (no gt/info.json)")


def run(argv: list[str]) -> int:
    run_, eo = open_trained_run("eval", argv, EvalOptions, _check)
    from herd.evaluation.evaluate import evaluate, format_table

    result = evaluate(run_, eo.stride, eo.grid_size, eo.points, progress=not run_.opts.quiet, gt_dataset=eo.gt or None)
    out = run_.run_dir / "eval" / "metrics.json"
    out.parent.mkdir(exist_ok=True)
    write_text_atomic(out, json.dumps(result, indent=1))
    print(format_table(result["metrics"]))
    print(f"wrote {out}")
    return 0
