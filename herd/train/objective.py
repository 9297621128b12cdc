"""What training minimises: the loss terms of one step, their weights, and each frame's trust in
its cues, from the error its dataset states (exact for herd synth). The loop
(:mod:`herd.train.trainer`) draws batches, steps the optimiser and keeps checkpoints; this module
decides what a batch costs.
"""

from __future__ import annotations

from typing import cast

import torch

from herd.data.cache import Cache
from herd.model.model import HerdModel
from herd.render.occupancy import Proxy
from herd.render.renderer import RenderConfig, render_rays
from herd.run.options import TrainConfig
from herd.train import losses as L
from herd.train.sampler import Batch
from herd.train.step_schedules import code_swap_probability, pose_prior_weight


class Objective:
    """The weighted sum of the loss terms of a batch.

    Args:
        opts: training options (weights ``--*_wt``, pose-prior schedule).
        model: the model being fitted.
        cache: the training cache (its resolution; each frame's stated keypoint and flow errors,
            and whether its keypoints may be mirrored).
        rcfg: render settings.
        generator: the random draws of a step (code swaps, ray jitter, eikonal points and
            partners); the trainer's, whose state its checkpoints keep.

    Attributes:
        kp_precision, flow_precision: ``(F,)`` per frame, the relative weight of its keypoints and
            flow (:func:`herd.train.losses.keypoint_precision`, :func:`~herd.train.losses.flow_precision`).
        pose_prior_frame_weight, soft_frame_weight: ``(F,)`` per frame, the pose prior's and the
            soft-deformation size term's scale from its keypoints' precision.
        kp_mirrored: ``(F,)`` bool, frames whose keypoints may have left and right swapped.
        kp_symmetry: ``(J,)`` each joint's mirror twin (None without a skeleton).
    """

    def __init__(
        self, opts: TrainConfig, model: HerdModel, cache: Cache, rcfg: RenderConfig, generator: torch.Generator
    ):
        self.opts, self.model, self.res, self.rcfg, self.gen = opts, model, cache.res, rcfg, generator
        device = model.center.device
        self.kp_precision = L.keypoint_precision(torch.from_numpy(cache.cue_sigma("keypoint"))).to(device)
        self.flow_precision = L.flow_precision(torch.from_numpy(cache.cue_sigma("flow"))).to(device)
        self.pose_prior_frame_weight = L.pose_prior_frame_weight(self.kp_precision)
        self.soft_frame_weight = L.soft_deform_frame_weight(self.kp_precision)
        self.kp_mirrored = torch.from_numpy(cache.keypoints_mirrored()).to(device)
        self.kp_symmetry = None if model.skeleton is None else torch.as_tensor(model.skeleton.symmetry, device=device)

    def __call__(self, batch: Batch, proxy: Proxy, progress: float) -> tuple[torch.Tensor, dict[str, float]]:
        """The total loss of ``batch`` (rays of ``K`` frames and their paired frames) and, per
        term, its unweighted value (with ``occupied``, the share of samples that reached the
        networks, and ``beta``, the density's sharpness) for the logs."""
        o, m = self.opts, self.model
        K = batch.frames.shape[0]
        frames = torch.cat([batch.frames, batch.pairs])
        st_all = m.frame_state(frames, shape_video=self.swapped_videos(m.frame_video[frames], progress))
        st, pair = st_all.select(slice(0, K)), st_all.select(slice(K, 2 * K))
        out = render_rays(
            m,
            st,
            batch.pix,
            batch.counts,
            proxy,
            self.rcfg,
            training=True,
            pair=pair if o.flow_wt > 0 else None,
            generator=self.gen,
        )
        s = out.samples
        cycle = soft = None
        if s is not None and (m.bones is not None or m.soft is not None):
            cycle, soft = L.warp_terms(m, st, s, self.soft_frame_weight[batch.frames])
        terms = {"mask": (o.mask_wt, L.mask_loss(out, batch)), "rgb": (o.rgb_wt, L.rgb_loss(out, batch))}
        if o.flow_wt > 0 and out.flow is not None:
            terms["flow"] = (o.flow_wt, L.flow_loss(out, batch, self.res, self.flow_precision[batch.frames]))
        if o.kp_wt > 0 and batch.keypoints is not None and st.joints is not None:
            terms["keypoint"] = (
                o.kp_wt,
                L.keypoint_loss(
                    st,
                    batch,
                    self.res,
                    self.kp_precision[batch.frames],
                    self.kp_symmetry,
                    self.kp_mirrored[batch.frames],
                ),
            )
        if o.depth_wt > 0 and batch.depth is not None:
            terms["depth"] = (o.depth_wt, L.depth_loss(out, batch, m.extent))
        if o.normal_smooth_wt > 0 and s is not None and len(s.eik_points):
            eik, smooth = L.sdf_surface_terms(m, s, 0.015 * m.extent, self.gen)
            terms["eikonal"] = (o.eikonal_wt, eik)
            terms["normal_smooth"] = (o.normal_smooth_wt, smooth)
        elif o.eikonal_wt > 0 and s is not None:
            terms["eikonal"] = (o.eikonal_wt, L.eikonal_loss(m, s))
        if cycle is not None:
            terms["cycle"] = (o.cycle_wt, cycle / m.extent**2)
        if soft is not None:
            terms["soft_deform"] = (o.soft_deform_wt, soft / m.extent**2)
        if m.bones is not None:
            terms["skin"] = (o.skin_wt, L.skin_loss(m, st))
            terms["bone_length"] = (o.prior_wt, L.bone_length_prior(st))
            pose_wt = pose_prior_weight(o.pose_prior_wt, o.pose_prior_fade, progress)
            if pose_wt > 0:
                terms["prior"] = (
                    pose_wt,
                    L.pose_prior(st, o.pose_prior_scale, self.pose_prior_frame_weight[batch.frames]),
                )
        total = cast(torch.Tensor, sum(w * v for w, v in terms.values()))
        logs = {k: float(v.detach()) for k, (_, v) in terms.items()}
        logs["occupied"] = out.occupied_fraction
        logs["beta"] = float(m.density.beta.detach())
        return total, logs

    def swap_probability(self, progress: float) -> float:
        """:func:`herd.train.step_schedules.code_swap_probability` of this model's codes."""
        return code_swap_probability(self.model.morph_codes.shape[0], progress)

    def swapped_videos(self, video: torch.Tensor, progress: float) -> torch.Tensor | None:
        """Per frame of ``(K,)`` videos, the video whose code the shape uses (None when nothing is
        swapped)."""
        p = self.swap_probability(progress)
        if p <= 0:
            return None
        V = self.model.morph_codes.shape[0]
        swap = torch.rand(video.shape[0], generator=self.gen) < p
        other = (video.cpu() + torch.randint(1, V, video.shape, generator=self.gen)) % V
        return torch.where(swap, other, video.cpu()).to(video.device)
