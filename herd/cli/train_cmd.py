"""``herd train``: fit the articulated neural field to a dataset (tutorial flags, ``--flagfile``)."""

from __future__ import annotations

from herd.model.model import ModelConfig
from herd.train.config import TrainConfig
from herd.train.flags import parse_flags
from herd.train.run_dir import record_command


def run(argv: list[str]) -> int:
    opts, model_cfg = parse_flags(argv, TrainConfig, ModelConfig, prog="herd train")
    from herd.train.trainer import Trainer

    trainer = Trainer(opts, model_cfg)
    if trainer.is_main:
        trainer.run_dir.mkdir(parents=True, exist_ok=True)
        record_command(trainer.run_dir, "train", argv)
    out = trainer.run()
    last = out["history"][-1] if out["history"] else {}
    print(f"trained {trainer.run_dir} to step {out['steps']} in {out['seconds']:.0f} s"
          f"{'; mask IoU (4 frames) ' + format(last['mask_iou'], '.3f') if last else ''}"
          f"{'; rollbacks ' + str(out['rollbacks']) if out['rollbacks'] else ''}")
    return 0
