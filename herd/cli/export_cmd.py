"""``herd export``: meshes, motion and an animated glTF of one individual of a trained run (the
tutorial's ``export.py``)."""

from __future__ import annotations

import time

from herd.cli.output_options import ExportOptions
from herd.errors import HerdInputError
from herd.model.model import ModelConfig
from herd.train.config import TrainConfig
from herd.train.flags import parse_flags
from herd.train.run_dir import record_command


def run(argv: list[str]) -> int:
    opts, model_cfg, eo = parse_flags(argv, TrainConfig, ModelConfig, ExportOptions, prog="herd export")
    from herd.export.exporter import export_individual
    from herd.train.loaded_run import load_run

    if not 8 <= eo.grid_size <= 1024:
        raise HerdInputError(f"--grid_size {eo.grid_size}: use 8 to 1024 cells per side")
    t0 = time.perf_counter()
    run_ = load_run(opts, model_cfg)
    record_command(run_.run_dir, "export", argv)
    v = run_.check_video("inst_id", eo.inst_id)
    out = export_individual(run_, v, eo.grid_size, progress=not opts.quiet)
    print(f"wrote {out} in {time.perf_counter() - t0:.1f} s")
    return 0
