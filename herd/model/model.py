"""The articulated neural field of a category: configuration, per-frame state and the warps.

Spaces: *posed* object space of frame f (where camera rays live after ``cam2obj``) and
*canonical* space (the category's rest pose). Warps go posed -> canonical (``to_canonical``, for
rendering) and canonical -> posed (``to_posed``, for flow, cycle losses, export).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Literal, overload

import numpy as np
import torch
from torch import nn

from herd.geometry.skeleton import Skeleton
from herd.model.articulation import Articulation
from herd.model.deformation import SoftDeformation
from herd.model.encodings import PerFrame, TimeEmbedding
from herd.model.fg_motion import FgMotion
from herd.model.fields import CanonicalField, SdfDensity
from herd.model.root_pose import RootPose
from herd.model.skinning import GaussianBones, blend
from herd.model.so3 import invert_transform
from herd.option_range import Range


@dataclasses.dataclass
class ModelConfig:
    """Model options (sizes chosen by benchmark on 2 CPU cores; see docs/model.md).

    Attributes:
        fg_motion: rigid, dense, skel-human, skel-quad, comp_skel-human_dense or comp_skel-quad_dense
            (a skeleton of that kind, and soft deformation with ``dense``).
        single_inst: one morphology code for all videos (--nosingle_inst: one per video).
        num_freqs: Fourier octaves of the canonical position.
        hidden, depth: width and hidden layers of the canonical SDF/colour MLP.
        code_dim: morphology code width (shape, bone lengths, skinning, soft deformation).
        app_dim: appearance code width (colour), one per video.
        time_freqs, time_code_dim: the time embedding (Fourier octaves, learned residual width).
        skin_correction: learn a correction to the Gaussian skinning weights.
        learn_focal: learn a per-video focal-length factor.
        beta_init: initial VolSDF sharpness, as a fraction of the object extent.
        symmetric_shape: mirror-symmetric canonical shape (skeletal motion only).
        per_video_motion: one joint-rotation network per video instead of one shared by the
            category (helps humans, hurts quadrupeds; see :class:`Articulation`).
        shading: the colour also sees the camera-space surface normal (the SDF's gradient through
            the warp), so shading that moves with the camera is not averaged into the texture
            (:class:`herd.model.fields.CanonicalField`; docs/model.md).
    """

    fg_motion: FgMotion = FgMotion("quad", soft=True)
    single_inst: bool = True
    num_freqs: int = 6
    hidden: int = 64
    depth: int = 3
    code_dim: int = 16
    app_dim: int = 8
    time_freqs: int = 5
    time_code_dim: int = 8
    skin_correction: bool = True
    learn_focal: bool = False
    beta_init: float = 0.02
    symmetric_shape: bool = True
    per_video_motion: bool = False
    shading: bool = True

    RANGES: ClassVar[dict[str, Range]] = {
        "num_freqs": Range(0),
        "hidden": Range(1),
        "depth": Range(1),
        "code_dim": Range(1),
        "app_dim": Range(1),
        "time_freqs": Range(0),
        "time_code_dim": Range(1),
        "beta_init": Range(0, above=True),
    }

    def __post_init__(self) -> None:
        if isinstance(self.fg_motion, str):  # the flag spelling, read once here
            self.fg_motion = FgMotion.parse(self.fg_motion)


@dataclasses.dataclass
class SceneMeta:
    """What the model needs to know about the data (from the training cache).

    Attributes:
        frame_video: ``(F,)`` video of every global frame.
        frame_time: ``(F,)`` time of the frame within its video, in [0, 1].
        init_obj2cam: ``(F, 4, 4)`` initial object-to-camera poses.
        intrinsics: ``(F, 4)`` fx, fy, cx, cy at the training resolution.
        num_videos: ``V``.
        skeleton: the skeleton for skeletal motion, or None.
        center, extent: canonical bounding box centre ``(3,)`` and half-size (metres).
    """

    frame_video: np.ndarray
    frame_time: np.ndarray
    init_obj2cam: np.ndarray
    intrinsics: np.ndarray
    num_videos: int
    skeleton: Skeleton | None
    center: np.ndarray
    extent: float


@dataclasses.dataclass
class FrameState:
    """Everything per frame for a batch of ``K`` frames.

    Attributes:
        frames, video: ``(K,)`` global frame and video indices.
        obj2cam: ``(K, 4, 4)``; intrinsics: ``(K, 4)``.
        time_embed: ``(K, D)``; code: ``(K, C)`` morphology; app: ``(K, A)`` appearance.
        shape_code: ``(K, C)`` the code the canonical shape is evaluated with (``code`` unless the
            trainer swaps it between videos).
        skin: ``(K, J, 4, 4)`` canonical -> posed bone transforms (None without a skeleton).
        skin_inv: their inverses; posed_coef: ``(K, 10, J)`` posed Gaussian coefficients.
        joints: ``(K, J, 3)`` posed joints in object space; bone_scale: ``(K, J-1)``;
        joint_rotvecs: ``(K, J, 3)`` local joint rotation vectors.
    """

    frames: torch.Tensor
    video: torch.Tensor
    obj2cam: torch.Tensor
    intrinsics: torch.Tensor
    time_embed: torch.Tensor
    code: torch.Tensor
    app: torch.Tensor
    shape_code: torch.Tensor
    skin: torch.Tensor | None = None
    skin_inv: torch.Tensor | None = None
    posed_coef: torch.Tensor | None = None
    joints: torch.Tensor | None = None
    bone_scale: torch.Tensor | None = None
    joint_rotvecs: torch.Tensor | None = None

    def joint2obj(self) -> torch.Tensor:
        """``(K, J, 4, 4)`` each joint's frame in posed object space: the skinning rotation and the
        posed joint position (``skin = joint2obj @ inv(rest_joint2obj)``, rest frames unrotated)."""
        assert self.skin is not None and self.joints is not None, "a state of a model with a skeleton"
        out = self.skin.detach().clone()
        out[..., :3, 3] = self.joints.detach()
        return out

    def select(self, index: slice | torch.Tensor) -> FrameState:
        """The state of a subset of the frames."""
        values: dict[str, Any] = {
            f.name: (None if getattr(self, f.name) is None else getattr(self, f.name)[index])
            for f in dataclasses.fields(self)
        }
        return FrameState(**values)


def bone_gaussian_init(skeleton: Skeleton) -> tuple[torch.Tensor, torch.Tensor]:
    """Initial Gaussian centres ``(J, 3)`` (midway to the children) and radii ``(J, 3)``."""
    rest = skeleton.rest_joints
    centers, radii = [], []
    for j in range(skeleton.num_joints):
        ch = skeleton.children(j)
        if ch:
            end = rest[ch].mean(0)
            centers.append((rest[j] + end) / 2)
            radii.append(np.clip(np.linalg.norm(end - rest[j]) / 2, 0.03, 0.2))
        else:
            centers.append(rest[j])
            radii.append(0.04)
    return torch.tensor(np.array(centers), dtype=torch.float32), torch.tensor(np.array(radii), dtype=torch.float32)[
        :, None
    ].repeat(1, 3)


class HerdModel(nn.Module):
    """Canonical field + motion of every frame of every video.

    Args:
        cfg: :class:`ModelConfig`.
        meta: :class:`SceneMeta` of the training data.

    Commands that use it first call :func:`herd.model.numerics.set_process_numerics` (subnormal
    floats flushed to zero: Gaussian-bone skinning is full of them, and they are slow on x86).
    """

    center: torch.Tensor  # buffer
    frame_video: torch.Tensor  # buffer
    base_intrinsics: torch.Tensor  # buffer

    def __init__(self, cfg: ModelConfig, meta: SceneMeta):
        super().__init__()
        self.cfg = cfg
        self.skeleton = meta.skeleton if cfg.fg_motion.skeleton else None
        self.num_videos = meta.num_videos
        self.extent = float(meta.extent)
        self.register_buffer("center", torch.tensor(meta.center, dtype=torch.float32))
        self.register_buffer("frame_video", torch.tensor(meta.frame_video, dtype=torch.long))
        self.register_buffer("base_intrinsics", torch.tensor(meta.intrinsics, dtype=torch.float32))
        n_inst = 1 if cfg.single_inst else meta.num_videos
        self.morph_codes = nn.Parameter(torch.randn(n_inst, cfg.code_dim) * 0.01)
        self.app_codes = nn.Parameter(torch.zeros(meta.num_videos, cfg.app_dim))
        self.time = TimeEmbedding(self.frame_video, torch.tensor(meta.frame_time), cfg.time_freqs, cfg.time_code_dim)
        tdim = self.time.out_dim
        self.field = CanonicalField(
            self.center,
            self.extent,
            cfg.num_freqs,
            cfg.hidden,
            cfg.depth,
            code_dim=cfg.code_dim,
            app_dim=cfg.app_dim,
            symmetric=cfg.symmetric_shape and self.skeleton is not None,
            shading=cfg.shading,
        )
        self.density = SdfDensity(cfg.beta_init * self.extent, 1e-3 * self.extent)
        self.root = RootPose(torch.tensor(meta.init_obj2cam), meta.num_videos, self.time.smooth_dim, self.extent)
        self.log_focal = nn.Parameter(torch.zeros(meta.num_videos), requires_grad=cfg.learn_focal)
        self.articulation = self.bones = None
        if self.skeleton is not None:
            self.articulation = Articulation(
                self.skeleton, meta.num_videos, tdim, cfg.code_dim, per_video=cfg.per_video_motion
            )
            c, r = bone_gaussian_init(self.skeleton)
            self.bones = GaussianBones(c, r, cfg.code_dim, self.extent, correction=cfg.skin_correction)
        self.soft = SoftDeformation(tdim, cfg.code_dim, self.extent) if cfg.fg_motion.soft else None

    # ---- per-frame state -------------------------------------------------------------------
    def video_code(self, video: torch.Tensor) -> torch.Tensor:
        """``(K,)`` video indices to ``(K, C)`` morphology codes (shared with ``single_inst``)."""
        if self.morph_codes.shape[0] == 1:
            return self.morph_codes.expand(video.shape[0], -1)
        return self.morph_codes[video]

    def frame_state(
        self, frames: torch.Tensor, code_video: torch.Tensor | None = None, shape_video: torch.Tensor | None = None
    ) -> FrameState:
        """State of ``(K,)`` global frames. ``code_video`` overrides whose body each frame uses
        (morphology code, so shape, bone lengths, skinning and soft deformation, and appearance
        code), for re-animation; the motion (time embedding, root pose) stays the frame's own;
        ``shape_video`` overrides only whose code the canonical shape uses, for code swapping."""
        video = self.frame_video[frames]
        temb = self.time(frames)
        body = video if code_video is None else code_video
        code = self.video_code(body)
        K = self.base_intrinsics[frames].clone()
        if self.cfg.learn_focal:
            K[:, :2] = K[:, :2] * torch.exp(self.log_focal[video])[:, None]
        st = FrameState(
            frames=frames,
            video=video,
            obj2cam=self.root_pose(frames),
            intrinsics=K,
            time_embed=temb,
            code=code,
            app=self.app_codes[body],
            shape_code=code if shape_video is None else self.video_code(shape_video),
        )
        if self.articulation is not None:
            st.skin, st.joints, st.bone_scale, st.joint_rotvecs = self.articulation(temb, video, code)
            skin = st.skin
            st.skin_inv = invert_transform(skin)
            assert self.bones is not None  # made with the articulation
            st.posed_coef = self.bones.posed_coefficients(skin)
        return st

    def root_pose(self, frames: torch.Tensor) -> torch.Tensor:
        """``(K,)`` global frames to ``(K, 4, 4)`` obj2cam."""
        return self.root(frames, self.frame_video[frames], self.time.smooth(frames))

    # ---- warps -------------------------------------------------------------------------------
    def to_canonical_coarse(self, x: torch.Tensor, counts: list[int], st: FrameState) -> torch.Tensor:
        """Posed ``(N, 3)`` points (grouped by frame) to approximate canonical points: skeleton only,
        weights from the posed Gaussians. Used to skip empty space before the expensive part."""
        if self.bones is None:
            return x
        assert st.posed_coef is not None and st.skin_inv is not None  # frame_state sets them with the bones
        w = self.bones.posed_weights(x, st.posed_coef, counts)
        return blend(w, st.skin_inv, x, counts)

    @staticmethod
    def _soft_condition(st: FrameState, counts: list[int]) -> PerFrame:
        """What the soft deformation of each frame is conditioned on: its time and morphology codes."""
        return PerFrame(torch.cat([st.time_embed, st.code], -1), counts)

    @overload
    def to_canonical(
        self,
        x: torch.Tensor,
        x_coarse: torch.Tensor,
        counts: list[int],
        st: FrameState,
        return_offset: Literal[False] = False,
    ) -> torch.Tensor: ...

    @overload
    def to_canonical(
        self, x: torch.Tensor, x_coarse: torch.Tensor, counts: list[int], st: FrameState, return_offset: Literal[True]
    ) -> tuple[torch.Tensor, torch.Tensor | None]: ...

    def to_canonical(
        self, x: torch.Tensor, x_coarse: torch.Tensor, counts: list[int], st: FrameState, return_offset: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor | None]:
        """Posed ``(N, 3)`` points to canonical ``(N, 3)``: skinning weights re-evaluated at the coarse
        canonical estimate (with the learned correction), then the backward soft deformation. With
        ``return_offset`` also that ``(N, 3)`` backward displacement (None without soft deformation)."""
        xc, offset = x, None
        if self.bones is not None:
            w = self.bones.canonical_weights(x_coarse, PerFrame(st.code, counts))
            assert st.skin_inv is not None  # frame_state sets it with the bones
            xc = blend(w, st.skin_inv, x, counts)
        if self.soft is not None:
            offset = self.soft.backward_offset(xc, self._soft_condition(st, counts))
            xc = xc + offset
        return (xc, offset) if return_offset else xc

    @overload
    def to_posed(
        self, xc: torch.Tensor, counts: list[int], st: FrameState, return_offset: Literal[False] = False
    ) -> torch.Tensor: ...

    @overload
    def to_posed(
        self, xc: torch.Tensor, counts: list[int], st: FrameState, return_offset: Literal[True]
    ) -> tuple[torch.Tensor, torch.Tensor | None]: ...

    def to_posed(
        self, xc: torch.Tensor, counts: list[int], st: FrameState, return_offset: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor | None]:
        """Canonical ``(N, 3)`` points to the posed object space of their frames (grouped by
        ``counts``): forward soft deformation, then skinning. With ``return_offset`` also the
        ``(N, 3)`` soft displacement (None without soft deformation)."""
        x, offset = xc, None
        if self.soft is not None:
            offset = self.soft.forward_offset(x, self._soft_condition(st, counts))
            x = x + offset
        if self.bones is not None:
            w = self.bones.canonical_weights(x, PerFrame(st.code, counts))
            assert st.skin is not None  # frame_state sets it with the bones
            x = blend(w, st.skin, x, counts)
        return (x, offset) if return_offset else x

    # ---- fields --------------------------------------------------------------------------
    def sdf(self, xc: torch.Tensor, code: torch.Tensor | PerFrame) -> torch.Tensor:
        """``(N, 3)`` canonical points with ``(N, C)`` (or per-frame) codes to ``(N,)`` SDF in metres."""
        return self.field.sdf(xc, code)

    def shade(
        self,
        xc: torch.Tensor,
        code: torch.Tensor | PerFrame,
        app: torch.Tensor | PerFrame,
        normal: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(N, 3)`` canonical points to ``(N,)`` SDF and ``(N, 3)`` RGB (``normal``: ``(N, 3)``
        camera-space normals for a shading colour; None: a surface facing the camera)."""
        return self.field(xc, code, app, normal)

    # ---- training hooks ------------------------------------------------------------------
    def set_bf16(self, enabled: bool) -> None:
        """Run every MLP under bfloat16 autocast (geometry stays float32)."""
        from herd.model.encodings import MLP

        for m in self.modules():
            if isinstance(m, MLP):
                m.bf16 = enabled

    def set_progress(self, progress: float) -> None:
        """Schedules by training progress in [0, 1]: position octaves open from 2 to all over the
        first half; soft deformation is off for the first 20% and ramps in until 40%, so the
        skeleton explains what it can before the soft field may."""
        L = self.field.enc.num_freqs
        self.field.enc.set_alpha(2 + (L - 2) * min(progress / 0.5, 1.0))
        if self.soft is not None:
            self.soft.gain.fill_(min(max((progress - 0.2) / 0.2, 0.0), 1.0))

    def param_groups(self, lr: float) -> list[dict]:
        """Optimiser groups with their learning rates (the model owns its rates)."""
        groups: dict[str, list] = {"field": [], "codes": [], "motion": [], "root": [], "bones": []}
        for name, p in self.named_parameters():
            if not p.requires_grad:
                continue
            if name.startswith(("field.", "density.")):
                groups["field"].append(p)
            elif name.startswith(("morph_codes", "app_codes", "time.")):
                groups["codes"].append(p)
            elif name.startswith("root."):
                groups["root"].append(p)
            elif name.startswith("bones."):
                groups["bones"].append(p)
            else:
                groups["motion"].append(p)
        scale = {"field": 1.0, "codes": 1.0, "motion": 1.0, "root": 0.5, "bones": 0.5}
        return [{"name": k, "params": v, "lr": lr * scale[k]} for k, v in groups.items() if v]
