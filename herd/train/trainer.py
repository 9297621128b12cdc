"""The training loop: rounds of steps, proxy refresh, checkpoints, exact resume, rollback on blow-ups,
progress with ETA, TensorBoard logs and per-round visualisations. What a step costs is the
objective's (:mod:`herd.train.objective`); the processes under torchrun are in
:mod:`herd.train.processes`."""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from herd.atomic import atomic_file
from herd.data.cache import Cache, build_cache
from herd.errors import HerdInputError
from herd.model.model import HerdModel, ModelConfig
from herd.render.occupancy import Proxy, build_proxy
from herd.render.renderer import render_image, render_mask
from herd.run.checkpoint import CHECKPOINT_FORMAT, load_model_state, open_checkpoint
from herd.run.flags import to_flagfile
from herd.run.folders import open_dataset, run_path
from herd.run.options import TrainConfig
from herd.run.progress import ProgressFile
from herd.run.scene_meta import scene_meta
from herd.train.elastic import reseed_process, resume_after_restart
from herd.train.init_shape import fit_initial_shape
from herd.train.objective import Objective
from herd.train.processes import any_decides, first_decides, init_distributed, made_by_first, pick_device, set_threads
from herd.train.sampler import PixelSampler
from herd.train.schedule import resolve as resolve_schedule
from herd.train.step_schedules import lr_factor


class _LossModule(torch.nn.Module):
    """The model with the trainer's loss as ``forward``, so DistributedDataParallel can wrap it."""

    def __init__(self, trainer: Trainer):
        super().__init__()
        self.model = trainer.model
        self._trainer = trainer

    def forward(self, batch):
        return self._trainer.compute_losses(batch)


class Trainer:
    """Trains one run (``<logroot>/<seqname>-<logname>/``).

    Args:
        opts: training options.
        model_cfg: model options (``--fg_motion``, ``--single_inst``, sizes).
    """

    def __init__(self, opts: TrainConfig, model_cfg: ModelConfig | None = None):
        self.opts, self.model_cfg = opts, model_cfg or ModelConfig()
        if opts.init_pose not in ("auto", "data", "search"):
            raise HerdInputError(
                f"--init_pose {opts.init_pose}: choose auto, data (the dataset's initial poses) or search"
            )
        self.ds = open_dataset(opts.seqname, opts.data_root, self.model_cfg.fg_motion)
        self.run_dir = run_path(opts.seqname, opts.logname, opts.logroot)
        self.rank, self.world, self.device = init_distributed(pick_device(opts.device))
        opts = resume_after_restart(opts, self.run_dir, self.rank, self.world)  # torchrun --max_restarts
        set_threads(opts.threads, self.world, self.device)
        torch.manual_seed(opts.seed)
        res = opts.train_res or min(max(max(v.height, v.width) for v in self.ds.videos), 128)
        self.cache = Cache(self._build_cache(res))
        self.opts = opts = resolve_schedule(
            opts, self.cache.num_videos, self.cache.num_frames, announce=self.is_main and not opts.quiet
        )
        self.meta = scene_meta(self.cache, self.ds, self.model_cfg.fg_motion, opts.init_smooth)
        self.model = HerdModel(self.model_cfg, self.meta).to(self.device)
        self.model.set_bf16(opts.bf16)
        self.rcfg = opts.render_config()
        # --num_rays and --frames_per_step are the whole step's batch: under torchrun each process
        # draws its share of the frames, and DDP's gradient mean over the processes is then the
        # gradient of one process's mean over all the rays (same step count, same learning rate)
        rays_per_frame = max(opts.num_rays // opts.frames_per_step, 8)
        local_frames = max(opts.frames_per_step // self.world, 1)
        self.sampler = PixelSampler(self.cache, local_frames, rays_per_frame, opts.seed + 1000 * self.rank)
        self.gen = torch.Generator().manual_seed(opts.seed + 1 + 1000 * self.rank)  # ray jitter, code swaps
        self.proxy_gen = torch.Generator().manual_seed(opts.seed + 2)  # the same on every process
        self.objective = Objective(opts, self.model, self.cache, self.rcfg, self.gen)
        self.optimizer = torch.optim.AdamW(self.model.param_groups(opts.learning_rate), weight_decay=1e-4)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._lr_factor)
        self.step = 0
        self.proxy: Proxy | None = None
        self.grad_ema: float | None = None
        self.rollbacks = 0
        self._good: dict | None = None
        self.writer: Any = None  # a TensorBoard SummaryWriter on the first process
        self.history: list[dict] = []
        self.step_module: torch.nn.Module = _LossModule(self)

    @property
    def is_main(self) -> bool:
        """Only the first process writes logs, checkpoints and visualisations."""
        return self.rank == 0

    def _build_cache(self, res: int) -> Path:
        """The first process builds the cache; the others wait for it."""
        return made_by_first(
            lambda: build_cache(self.ds, res, Path(self.opts.logroot) / ".cache", progress=not self.opts.quiet),
            self.rank,
            self.world,
        )

    def _lr_factor(self, step: int) -> float:
        return lr_factor(step, self.opts.total_iters, self.opts.warmup_iters)

    @property
    def round_index(self) -> int:
        """Rounds begun so far (a round cut short by ``--max_minutes`` counts)."""
        return -(-self.step // self.opts.iters_per_round)

    @property
    def progress(self) -> float:
        return self.step / max(self.opts.total_iters, 1)

    # ---- proxy ----------------------------------------------------------------------------
    def refresh_proxy(self) -> None:
        m = self.model
        lo, hi = m.center - 1.25 * m.extent, m.center + 1.25 * m.extent
        codes = m.morph_codes.detach()

        def sdf_union(x: torch.Tensor) -> torch.Tensor:
            return torch.stack([m.sdf(x, c.expand(x.shape[0], -1)) for c in codes]).amin(0)

        self.proxy = build_proxy(sdf_union, lo.cpu(), hi.cpu(), generator=self.proxy_gen)
        self.proxy = Proxy(**{k: v.to(self.device) for k, v in self.proxy.state_dict().items()})

    # ---- one step -------------------------------------------------------------------------
    def compute_losses(self, batch) -> tuple[torch.Tensor, dict[str, float]]:
        """The objective of ``batch`` at the current proxy and progress (:class:`Objective`)."""
        assert self.proxy is not None, "refresh_proxy() before the first step"
        return self.objective(batch, self.proxy, self.progress)

    def _snapshot(self) -> None:
        self._good = {
            "model": copy.deepcopy(self.model.state_dict()),
            "optimizer": copy.deepcopy(self.optimizer.state_dict()),
        }

    def _rollback(self) -> None:
        assert self._good is not None, "a rollback needs a snapshot"
        self.model.load_state_dict(self._good["model"])
        self.optimizer.load_state_dict(self._good["optimizer"])
        self.rollbacks += 1

    def train_step(self) -> dict[str, float]:
        """One optimisation step; on a NaN or exploding gradient, roll back to the last good state
        and skip the step."""
        if self._good is None or self.step % 20 == 0:
            self._snapshot()
        self.model.set_progress(self.progress)
        batch = self.sampler.sample().to(self.device)
        total, logs = self.step_module(batch)
        self.optimizer.zero_grad(set_to_none=True)
        # always backward: a NaN loss gives NaN gradients, which (averaged over processes) make
        # every process take the same decision below
        total.backward()
        norm = float(torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.opts.grad_clip))
        bad = not math.isfinite(norm) or (self.grad_ema is not None and norm > 50 * self.grad_ema and self.step > 50)
        if not bad:
            self.grad_ema = norm if self.grad_ema is None else 0.95 * self.grad_ema + 0.05 * norm
            logs["grad_norm"] = norm
        if bad:
            self._rollback()
            logs["rollback"] = 1.0
        else:
            self.optimizer.step()
        self.scheduler.step()
        self.step += 1
        logs["total"] = float(total.detach())
        logs["lr"] = self.optimizer.param_groups[0]["lr"]
        logs["rays"] = float(batch.pix.shape[0] * self.world)  # the whole step's, over all processes
        return logs

    # ---- checkpoints ----------------------------------------------------------------------
    def checkpoint(self) -> dict:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "step": self.step,
            "grad_ema": self.grad_ema,
            "proxy": None if self.proxy is None else self.proxy.state_dict(),
            "sampler": self.sampler.state(),
            "gen": self.gen.get_state(),
            "proxy_gen": self.proxy_gen.get_state(),
            "torch_rng": torch.get_rng_state(),
            "rollbacks": self.rollbacks,
            "history": self.history,
            "opts": to_flagfile(self.opts, self.model_cfg),
            "format": CHECKPOINT_FORMAT,
        }

    def save(self, numbered: bool = False) -> None:
        if not self.is_main:
            return
        ck = self.checkpoint()
        for name in ["ckpt_latest.pth"] + ([f"ckpt_{self.round_index:04d}.pth"] if numbered else []):
            with atomic_file(self.run_dir / name) as tmp:  # a kill never leaves a torn checkpoint
                torch.save(ck, tmp)

    def load(self, suffix: str) -> None:
        """Resume from ``ckpt_<suffix>.pth`` of this run: model, optimiser, schedules, sampler and
        random states, so the run continues as if never stopped."""
        path, ck = open_checkpoint(self.run_dir, suffix, self.device)
        load_model_state(self.model, ck, path)
        self.optimizer.load_state_dict(ck["optimizer"])
        self.scheduler.load_state_dict(ck["scheduler"])
        self.step, self.grad_ema, self.rollbacks = ck["step"], ck["grad_ema"], ck["rollbacks"]
        self.history = ck.get("history", [])
        self.proxy = None if ck["proxy"] is None else Proxy(**ck["proxy"])
        self.sampler.set_state(ck["sampler"])
        self.gen.set_state(ck["gen"])
        self.proxy_gen.set_state(ck["proxy_gen"])
        torch.set_rng_state(ck["torch_rng"])
        reseed_process(self.sampler, self.gen, self.opts.seed, self.rank, self.step)  # the checkpoint has rank 0's

    # ---- round end ------------------------------------------------------------------------
    @torch.no_grad()
    def quick_mask_iou(self, frames: list[int]) -> float:
        assert self.proxy is not None, "refresh_proxy() before the first round ends"
        ious = []
        for f in frames:
            pred = render_mask(self.model, f, self.cache.res, self.proxy, self.rcfg)
            gt = self.cache.mask[f] > 0
            ious.append((pred & gt).sum() / max((pred | gt).sum(), 1))
        return float(np.mean(ious))

    def end_round(self) -> None:
        if not self.is_main:
            return
        r = self.round_index
        frames = list(np.linspace(0, self.cache.num_frames - 1, min(4, self.cache.num_frames)).astype(int))
        iou = self.quick_mask_iou(frames)
        self.history.append(
            {"round": r, "step": self.step, "time": time.perf_counter() - self._t0 + self._elapsed0, "mask_iou": iou}
        )
        if self.writer is not None:
            self.writer.add_scalar("eval/mask_iou", iou, self.step)
            self._log_images(frames[0])
        self._write_glbs(r)
        self.save(numbered=True)

    def _log_images(self, f: int) -> None:
        res = self.cache.res
        assert self.proxy is not None, "refresh_proxy() before the first round ends"
        with torch.no_grad():
            st = self.model.frame_state(torch.tensor([f], device=self.device))
            img = render_image(self.model, st, res, res, self.proxy, self.rcfg, surface=False)
        rgb = img["rgb"].clamp(0, 1).cpu().numpy()
        ref = self.cache.rgb[f] / 255.0
        self.writer.add_image("render/rgb", np.concatenate([ref, rgb], 1), self.step, dataformats="HWC")
        self.writer.add_image(
            "render/mask",
            np.concatenate([self.cache.mask[f], img["opacity"].cpu().numpy()], 1),
            self.step,
            dataformats="HW",
        )

    @torch.no_grad()
    def _write_glbs(self, r: int) -> None:
        from herd.train.visualize import write_round_glbs

        m = self.model
        frames = torch.arange(self.cache.num_frames, device=self.device)
        obj2cam = m.root_pose(frames).cpu().numpy()
        joints = parents = None
        if m.articulation is not None:
            assert m.skeleton is not None  # the articulation is made from it
            joints = m.articulation.rest_joints.cpu().numpy()
            parents = np.asarray(m.skeleton.parents)
        assert self.proxy is not None, "refresh_proxy() before the first round ends"
        write_round_glbs(
            self.run_dir,
            r,
            Proxy(**{k: v.cpu() for k, v in self.proxy.state_dict().items()}),
            joints,
            parents,
            obj2cam,
            m.extent,
        )

    def _search_init_pose(self) -> None:
        """``--init_pose search`` (see :mod:`herd.train.pose_search`); every process computes the
        same result from the same data, so no communication is needed."""
        from herd.train.pose_search import search_root_orientation

        found = search_root_orientation(self.model, self.cache)
        if self.is_main and not self.opts.quiet:
            for r in found:
                print(
                    f"init_pose search: video {r['video']}: yaw {'/'.join(map(str, r['yaws']))} at start/middle/end "
                    f"(silhouette IoU {r['iou_before']:.3f} -> {r['iou']:.3f})"
                )

    # ---- main loop ------------------------------------------------------------------------
    def _over_budget(self) -> bool:
        """``--max_minutes`` reached (decided by the first process, so all processes stop together)."""
        if not self.opts.max_minutes or self.step % 10:
            return False
        return first_decides(time.perf_counter() - self._t0 + self._elapsed0 > 60 * self.opts.max_minutes, self.world)

    def _stop_requested(self, should_stop) -> bool:
        """``should_stop()`` (a signal arrived) in any process: all processes stop at the same step."""
        return should_stop is not None and any_decides(should_stop(), self.world)

    def run(self, on_step=None, should_stop=None) -> dict:
        """Train to ``num_rounds * iters_per_round`` steps; Ctrl-C saves ``ckpt_latest.pth`` first.

        Args:
            on_step: optional ``callback(step, logs)`` after every step.
            should_stop: optional ``callback() -> bool`` asked before every step; True saves the
                state as of the last completed step and returns (:mod:`herd.train.signals`).
        """
        o = self.opts
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if o.load_suffix:
            self.load(o.load_suffix)
        else:
            fit_initial_shape(self.model, seed=o.seed)
            if o.init_pose == "search" or (o.init_pose == "auto" and not self.cache.meta["has_init_poses"]):
                self._search_init_pose()
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel

            self.step_module = DistributedDataParallel(
                _LossModule(self), find_unused_parameters=True, broadcast_buffers=False
            )
        if self.is_main:
            # a flagfile to reproduce the run: without the resume point
            (self.run_dir / "opts.log").write_text(to_flagfile(dataclasses.replace(o, load_suffix=""), self.model_cfg))
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.writer = SummaryWriter(str(self.run_dir))
            except ImportError:  # tensorboard is a dependency; stay usable without it
                self.writer = None
        self._t0 = time.perf_counter()
        self._elapsed0 = self.history[-1]["time"] if self.history else 0.0
        bar = tqdm(
            total=o.total_iters,
            initial=self.step,
            desc="train",
            unit="it",
            disable=o.quiet or not self.is_main,
            dynamic_ncols=True,
        )
        progress = ProgressFile(self.run_dir, o.total_iters, self.step) if self.is_main else None
        try:
            while self.step < o.total_iters and not self._stop_requested(should_stop):
                if self.proxy is None or self.step % o.iters_per_round == 0:
                    self.refresh_proxy()
                logs = self.train_step()
                if on_step is not None:
                    on_step(self.step, logs)
                bar.update(1)
                if progress is not None:
                    progress.update(self.step)
                if self.step % 10 == 0:
                    bar.set_postfix(
                        loss=f"{logs['total']:.4f}", mask=f"{logs['mask']:.4f}", occ=f"{logs['occupied']:.2f}"
                    )
                    if self.writer is not None:
                        for k, v in logs.items():
                            self.writer.add_scalar(
                                f"loss/{k}"
                                if k not in ("lr", "beta", "occupied", "grad_norm", "rays")
                                else f"train/{k}",
                                v,
                                self.step,
                            )
                over = self._over_budget()
                if self.step % o.iters_per_round == 0 or over:
                    self.end_round()
                if over:
                    break
        except KeyboardInterrupt:
            self.save()
            bar.close()
            raise
        bar.close()
        self.save()
        if self.writer is not None:
            self.writer.close()
        return {
            "steps": self.step,
            "rollbacks": self.rollbacks,
            "history": self.history,
            "seconds": time.perf_counter() - self._t0,
        }
