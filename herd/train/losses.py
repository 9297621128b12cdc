"""Losses and regularisers of one step; each returns a scalar, weights are applied by the objective
(:mod:`herd.train.objective`)."""

from __future__ import annotations

import torch

from herd.model.model import FrameState, HerdModel
from herd.model.so3 import apply_transform
from herd.render.rays import project
from herd.render.renderer import RayOutputs, TrainingSamples
from herd.train.sampler import Batch


def mask_loss(out: RayOutputs, batch: Batch) -> torch.Tensor:
    """Balanced squared error of opacity: object and background pixels weigh the same."""
    m = batch.mask
    fg = ((out.opacity - 1) ** 2 * m).sum() / m.sum().clamp(min=1)
    bg = (out.opacity**2 * (1 - m)).sum() / (1 - m).sum().clamp(min=1)
    return 0.5 * (fg + bg)


def rgb_loss(out: RayOutputs, batch: Batch) -> torch.Tensor:
    """Squared colour error inside the mask."""
    m = batch.mask
    return (((out.rgb - batch.rgb) ** 2).sum(-1) * m).sum() / m.sum().clamp(min=1)


#: flow error (pixels at the training resolution, per component) assumed where a dataset does not
#: state it: an estimator's (DIS) on real videos
FLOW_SIGMA_UNKNOWN_PX = 1.0
#: the most an exact flow (rendered, synthetic) weighs against an unknown one: weight 2 against 0.5
#: gained held-out IoU on synthetic videos, while on real ones (DIS flow) it cost the DAVIS people
#: 0.1-0.2 mask IoU per round (docs/model.md)
FLOW_PRECISION_MAX = 4.0


def flow_precision(sigma_px: torch.Tensor) -> torch.Tensor:
    """Relative weight of flow whose error has standard deviation ``sigma_px`` (any shape, pixels at
    the training resolution, NaN where unknown): the inverse variance relative to an unknown flow's,
    at most :data:`FLOW_PRECISION_MAX`; ``1`` for unknown flow, ``4`` for exact flow."""
    s2 = torch.nan_to_num(sigma_px, nan=FLOW_SIGMA_UNKNOWN_PX) ** 2
    return (FLOW_SIGMA_UNKNOWN_PX**2 / s2).clamp(max=FLOW_PRECISION_MAX)


def flow_loss(out: RayOutputs, batch: Batch, res: int, precision: torch.Tensor) -> torch.Tensor:
    """Confidence-weighted L1 flow error inside the mask, in units of the image size, each frame's
    rays scaled by its ``(K,)`` :func:`flow_precision` (the mean is by confidence alone)."""
    assert out.flow is not None  # the objective asks for flow with this term
    conf = batch.flow[:, 2] * batch.mask
    err = (out.flow - batch.flow[:, :2]).abs().sum(-1) / res
    scale = torch.repeat_interleave(precision, torch.tensor(batch.counts, device=precision.device))
    return (err * conf * scale).sum() / conf.sum().clamp(min=1)


def depth_loss(out: RayOutputs, batch: Batch, extent: float) -> torch.Tensor:
    """L1 depth error where depth is known and inside the mask, in units of the object extent."""
    assert batch.depth is not None  # the objective checks
    valid = (batch.depth > 0).float() * batch.mask
    return (
        ((out.depth / out.opacity.clamp(min=1e-3) - batch.depth).abs() * valid).sum()
        / valid.sum().clamp(min=1)
        / extent
    )


#: keypoint error (pixels at the training resolution, per coordinate) assumed where a dataset does
#: not state it: a landmark detector's, a few pixels off on fast limbs
KP_SIGMA_UNKNOWN_PX = 1.5
#: the least error any keypoint is trusted to, which keeps exact (synthetic) keypoints at a finite
#: weight: 22,500 times an unknown keypoint's, so they act as near-constraints (the held-out views
#: kept improving up to about that weight; docs/model.md)
KP_SIGMA_FLOOR_PX = 0.01


def keypoint_precision(sigma_px: torch.Tensor) -> torch.Tensor:
    """Relative weight of keypoints whose error has standard deviation ``sigma_px`` (any shape,
    pixels at the training resolution, NaN where unknown): the inverse variance relative to an
    unknown keypoint's, ``1`` for unknown keypoints, ``(1.5^2 + 0.01^2) / 0.01^2 = 22,501`` for
    exact ones, ``2.25`` for keypoints one pixel off."""
    s2 = torch.nan_to_num(sigma_px, nan=KP_SIGMA_UNKNOWN_PX) ** 2
    return (KP_SIGMA_UNKNOWN_PX**2 + KP_SIGMA_FLOOR_PX**2) / (s2 + KP_SIGMA_FLOOR_PX**2)


def projected_joints(st: FrameState) -> torch.Tensor:
    """``(K, J, 2)`` pixels (at the intrinsics' resolution) of the K frames' posed skeleton joints."""
    assert st.joints is not None, "a state of a model with a skeleton"
    cam = apply_transform(st.obj2cam, st.joints)
    K, J = cam.shape[:2]
    return project(cam.reshape(-1, 3), st.intrinsics.repeat_interleave(J, 0)).reshape(K, J, 2)


def keypoint_loss(
    st: FrameState,
    batch: Batch,
    res: int,
    precision: torch.Tensor,
    symmetry: torch.Tensor | None = None,
    mirrored: torch.Tensor | None = None,
) -> torch.Tensor:
    """Squared reprojection error of the posed skeleton joints, in units of the image size,
    weighted by each keypoint's confidence and each frame's ``(K,)`` :func:`keypoint_precision`
    (the mean over keypoints is by confidences clamped at 1, so the precision scales the term, and a
    confidence above 1, a joint the cue network is surer of than typical, adds that joint's weight
    without lowering the others').

    Frames whose keypoints may have the body's left and right swapped (``mirrored (K,)`` bool, a
    silhouette cue's) take the smaller of the errors against the keypoints as they are and with
    every joint compared to its mirror twin (``symmetry (J,)``, :attr:`Skeleton.symmetry`)."""
    kp = batch.keypoints
    assert kp is not None  # the objective checks
    proj = projected_joints(st)
    err = ((proj - kp[..., :2]) ** 2).sum(-1) / res**2 * kp[..., 2]
    if symmetry is not None and mirrored is not None and bool(mirrored.any()):
        swapped = ((proj[:, symmetry] - kp[..., :2]) ** 2).sum(-1) / res**2 * kp[..., 2]
        use = mirrored[:, None] & (swapped.sum(1, keepdim=True) < err.sum(1, keepdim=True))
        err = torch.where(use, swapped, err)
    return (err * precision[:, None]).sum() / kp[..., 2].clamp(max=1).sum().clamp(min=1)


def eikonal_loss(model: HerdModel, s: TrainingSamples) -> torch.Tensor:
    """``(|grad sdf| - 1)^2`` on the sampled canonical points."""
    x = s.eik_points.clone().requires_grad_(True)
    sdf = model.sdf(x, s.eik_codes)
    (g,) = torch.autograd.grad(sdf.sum(), x, create_graph=True)
    return ((g.norm(dim=-1) - 1) ** 2).mean()


def sdf_surface_terms(
    model: HerdModel, s: TrainingSamples, offset: float, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The eikonal term and the normal smoothness term from one gradient evaluation.

    The ``M`` eikonal points ``x`` and partners ``x + offset * u`` (``u`` random unit directions,
    canonical space, metres) get SDF gradients ``g``; returns ``(|g| - 1)^2`` over all ``2M``
    points and ``|g(x)/|g(x)| - g(x')/|g(x')||^2`` over the ``M`` pairs."""
    x0 = s.eik_points
    u = torch.randn(x0.shape, generator=generator, device=x0.device)
    x = torch.cat([x0, x0 + offset * u / u.norm(dim=-1, keepdim=True).clamp(min=1e-9)]).requires_grad_(True)
    sdf = model.sdf(x, torch.cat([s.eik_codes, s.eik_codes]))
    (g,) = torch.autograd.grad(sdf.sum(), x, create_graph=True)
    norm = g.norm(dim=-1)
    n = g / norm.clamp(min=1e-6)[:, None]
    M = x0.shape[0]
    return ((norm - 1) ** 2).mean(), ((n[:M] - n[M:]) ** 2).sum(-1).mean()


def warp_terms(
    model: HerdModel, st: FrameState, s: TrainingSamples, soft_scale: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The warp regularisers on the samples that weigh in the image (:attr:`TrainingSamples.selected`),
    each a mean weighted by the samples' compositing weights, in metres^2:

    - cycle: the squared residual of warping the canonical points forward again to their frames
      (``to_posed(to_canonical(x)) - x``);
    - soft: the squared size of the soft displacement, forward plus backward (the backward one is
      what the render sees), each frame's samples scaled by its ``(K,)`` ``soft_scale``; None
      without soft deformation.
    """
    sel = s.selected
    back, offset = model.to_posed(s.canonical[sel], s.selected_counts, st, return_offset=True)
    wd = s.weight[sel].detach()

    def weighted_mean(v: torch.Tensor) -> torch.Tensor:
        return (wd * v).sum() / wd.sum().clamp(min=1e-6)

    cycle = weighted_mean(((back - s.posed[sel]) ** 2).sum(-1))
    soft = None
    if offset is not None:
        assert s.back_offset is not None  # both offsets come from the soft deformation
        size = (offset**2).sum(-1) + (s.back_offset[sel] ** 2).sum(-1)
        soft = weighted_mean(size if soft_scale is None else size * soft_scale[s.selected_frame])
    return cycle, soft


def skin_loss(model: HerdModel, st: FrameState) -> torch.Tensor:
    """Gaussian bones stay inside the shape (``relu(sdf(centre))^2``) and near their bones (squared
    distance to the initial centre), in units of the extent."""
    bones = model.bones
    assert bones is not None  # the objective checks
    c = bones.center
    code = st.code[:1].expand(c.shape[0], -1)
    inside = (torch.relu(model.sdf(c, code)) ** 2).mean()
    near = ((c - bones.center_init) ** 2).sum(-1).mean()
    return (inside + near) / model.extent**2


def pose_prior(st: FrameState, scale: float, frame_weight: torch.Tensor) -> torch.Tensor:
    """Joint rotations near the rest pose: the mean over frames, joints (not the root) and axes of
    ``r^2`` (``scale`` 0) or of the robust ``c^2 log(1 + r^2 / c^2)`` with ``c = scale`` radians, which
    is ``r^2`` for small rotations and lets large ones go almost free; each of the K frames scaled by
    its ``(K,)`` ``frame_weight`` (see :func:`pose_prior_frame_weight`)."""
    assert st.joint_rotvecs is not None, "a state of a model with a skeleton"
    r2 = st.joint_rotvecs[:, 1:] ** 2
    if scale > 0:
        r2 = scale**2 * torch.log1p(r2 / scale**2)
    return (r2 * frame_weight[:, None, None]).mean()


def pose_prior_frame_weight(kp_precision: torch.Tensor) -> torch.Tensor:
    """The pose prior of frames whose keypoints have the given :func:`keypoint_precision`, relative
    to frames with exact keypoints: ``1`` for exact keypoints, ``1 / 22,501`` for unknown ones or
    none. The prior decides what the keypoints leave open (leaf joints, limb twists); scaled with
    their precision it stays that weak against them at every precision, and never holds a real
    body's limbs at the rest pose against a detector's keypoints (docs/model.md)."""
    return kp_precision / keypoint_precision(torch.zeros((), device=kp_precision.device))


#: the soft-deformation size term of frames whose keypoints are a detector's (or absent), relative
#: to frames with exact keypoints (docs/model.md)
SOFT_WEIGHT_LOOSE_KEYPOINTS = 0.01


def soft_deform_frame_weight(kp_precision: torch.Tensor) -> torch.Tensor:
    """The soft-deformation size term of frames whose keypoints have the given
    :func:`keypoint_precision`, relative to frames with exact keypoints: ``1`` for exact keypoints,
    :data:`SOFT_WEIGHT_LOOSE_KEYPOINTS` for unknown ones or none, the precision ratio between.
    Exact keypoints pin the skeleton, so a soft displacement can only fit what one view cannot
    check and is held firmly; under a detector's keypoints the skeleton is a few pixels off and the
    soft field must take up the rest (DAVIS people 0.853 at 1/100 of the weight, 0.824 at the full
    weight; docs/model.md)."""
    return pose_prior_frame_weight(kp_precision).clamp(min=SOFT_WEIGHT_LOOSE_KEYPOINTS)


def bone_length_prior(st: FrameState) -> torch.Tensor:
    """Bone lengths near the category mean: squared log factor."""
    assert st.bone_scale is not None, "a state of a model with a skeleton"
    return (torch.log(st.bone_scale) ** 2).mean()
