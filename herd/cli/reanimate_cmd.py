"""``herd reanimate --motion_id A --inst_id B``: video A's motion on individual B's body, seen
from A's cameras (the tutorial's ``reanimate.py``)."""

from __future__ import annotations

from herd.cli.output_options import ReanimateOptions
from herd.errors import HerdInputError
from herd.model.model import ModelConfig
from herd.train.config import TrainConfig
from herd.train.flags import parse_flags
from herd.train.run_dir import record_command


def run(argv: list[str]) -> int:
    opts, model_cfg, ro = parse_flags(argv, TrainConfig, ModelConfig, ReanimateOptions, prog="herd reanimate")
    from herd.export.reanimate import reanimate
    from herd.train.loaded_run import load_run

    if ro.render_res < 8:
        raise HerdInputError(f"--render_res {ro.render_res}: too small; use at least 8 pixels")
    run_ = load_run(opts, model_cfg)
    record_command(run_.run_dir, "reanimate", argv)
    a = run_.check_video("motion_id", ro.motion_id)
    b = run_.check_video("inst_id", ro.inst_id)
    res = reanimate(run_, a, b, ro.render_res, ro.grid_size, ro.png, ro.fps, progress=not opts.quiet)
    print(f"wrote {res['out']} (motion of video {a} on individual {b}, {res['frames']} frames, "
          f"{res['seconds_per_frame']:.2f} s per frame)")
    return 0
