"""``herd train``: fit the articulated neural field to a dataset (tutorial flags, ``--flagfile``)."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from herd.data.output_dir import check_writable
from herd.model.model import ModelConfig
from herd.model.numerics import set_process_numerics
from herd.run.flags import parse_flags
from herd.run.folders import record_command, run_path
from herd.run.lock import run_lock
from herd.run.options import TrainConfig
from herd.train.signals import stop_at_step_boundary


def run(argv: list[str]) -> int:
    opts, model_cfg = parse_flags(argv, TrainConfig, ModelConfig, prog="herd train")
    set_process_numerics()
    check_writable(Path(opts.logroot), "--logroot")
    main_process = int(os.environ.get("RANK", "0")) == 0  # under torchrun the first process holds the lock
    with run_lock(run_path(opts.seqname, opts.logname, opts.logroot)) if main_process else contextlib.nullcontext():
        from herd.train.trainer import Trainer

        trainer = Trainer(opts, model_cfg)
        if trainer.is_main:
            record_command(trainer.run_dir, "train", argv)
        with stop_at_step_boundary() as stop:
            out = trainer.run(should_stop=stop)
    if stop():
        sys.stderr.write(
            f"herd train: stopped by {stop.name} at step {out['steps']}, saved; resume with "
            f"herd train --flagfile={trainer.run_dir / 'opts.log'} --load_suffix latest\n"
        )
        return stop.exit_code
    last = out["history"][-1] if out["history"] else {}
    print(
        f"trained {trainer.run_dir} to step {out['steps']} in {out['seconds']:.0f} s"
        f"{'; mask IoU (4 frames) ' + format(last['mask_iou'], '.3f') if last else ''}"
        f"{'; rollbacks ' + str(out['rollbacks']) if out['rollbacks'] else ''}"
    )
    return 0
