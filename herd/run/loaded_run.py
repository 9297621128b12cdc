"""A trained run opened for use (rendering, export, re-animation, evaluation): the model and its
proxy from a checkpoint, with the dataset and training cache it was fitted to. No optimiser."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from herd.data.cache import Cache, build_cache
from herd.data.reader import Dataset
from herd.errors import HerdInputError
from herd.model.model import HerdModel, ModelConfig
from herd.render.occupancy import Proxy
from herd.render.renderer import RenderConfig
from herd.run.checkpoint import load_model_state, open_checkpoint
from herd.run.folders import open_dataset, run_path
from herd.run.options import TrainConfig
from herd.run.scene_meta import scene_meta


@dataclasses.dataclass
class LoadedRun:
    """Everything needed to use a trained model.

    Attributes:
        run_dir: ``<logroot>/<seqname>-<logname>/``.
        opts, model_cfg: the run's options (from its flagfile and the command line).
        ds: the dataset; cache: the training cache (frames at the training resolution).
        model: the model in eval mode; proxy: its occupancy proxy; rcfg: render settings.
        step: the checkpoint's training step.
    """

    run_dir: Path
    opts: TrainConfig
    model_cfg: ModelConfig
    ds: Dataset
    cache: Cache
    model: HerdModel
    proxy: Proxy
    rcfg: RenderConfig
    step: int

    @property
    def video_names(self) -> list[str]:
        return [v.name for v in self.ds.videos]

    def check_video(self, flag: str, v: int) -> int:
        """A video index given on the command line, checked against the run."""
        if not 0 <= v < self.cache.num_videos:
            raise HerdInputError(
                f"--{flag}={v}: out of range; {self.run_dir} has videos 0..{self.cache.num_videos - 1} "
                f"({', '.join(self.video_names)})"
            )
        return v


def _trained_before_shading(state: dict, model: HerdModel) -> bool:
    """A run trained before ``--shading`` existed (default on since) has a colour head three
    inputs narrower and no such flag in its opts.log: it opens as it was trained."""
    w = state.get("field.color_head.net.0.weight")
    return model.cfg.shading and w is not None and w.shape[1] == model.field.color_head.net[0].weight.shape[1] - 3  # type: ignore[index]


def load_run(opts: TrainConfig, model_cfg: ModelConfig, device: str = "cpu") -> LoadedRun:
    """Open ``ckpt_<opts.load_suffix or 'latest'>.pth`` of the run the options name."""
    run_dir = run_path(opts.seqname, opts.logname, opts.logroot)
    path, ck = open_checkpoint(run_dir, opts.load_suffix, device)
    ds = open_dataset(opts.seqname, opts.data_root, model_cfg.fg_motion)
    res = opts.train_res or min(max(max(v.height, v.width) for v in ds.videos), 128)
    cache = Cache(build_cache(ds, res, Path(opts.logroot) / ".cache", progress=False))
    meta = scene_meta(cache, ds, model_cfg.fg_motion, opts.init_smooth)
    model = HerdModel(model_cfg, meta).to(device)
    if _trained_before_shading(ck["model"], model):
        model_cfg = dataclasses.replace(model_cfg, shading=False)
        model = HerdModel(model_cfg, meta).to(device)
    load_model_state(model, ck, path)
    if ck.get("proxy") is None:
        raise HerdInputError(f"{path}: saved before the first step; train the run further")
    model.eval()
    proxy = Proxy(**{k: v.to(device) for k, v in ck["proxy"].items()})
    return LoadedRun(run_dir, opts, model_cfg, ds, cache, model, proxy, opts.render_config(), int(ck["step"]))
