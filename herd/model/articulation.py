"""A skeleton in PyTorch: per-frame joint rotations from a time embedding, per-individual bone
lengths (left/right symmetric) from the morphology code, and forward kinematics.

Canonical space holds the category's rest pose with the mean bone lengths. An individual's bone
lengths enter through the skinning transforms: ``skin_j = joint2obj_j @ inv(rest_joint2obj_j)``
where ``joint2obj`` uses the individual's lengths and ``rest_joint2obj`` the canonical ones.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from herd.geometry.skeleton import Skeleton
from herd.model.encodings import MLP, PerVideoMLP, mlp
from herd.model.so3 import axis_angle_to_matrix, make_transform


class Articulation(nn.Module):
    """Joint rotations and bone lengths.

    Args:
        skeleton: topology and canonical rest joints ``(J, 3)`` (object space, metres).
        num_videos: ``V``, the number of videos.
        time_dim: width of the time embedding driving the rotations.
        code_dim: width of the morphology code driving the bone lengths.
        hidden: width of the rotation network(s).
        per_video: one rotation network per video (:class:`PerVideoMLP`) instead of one shared by
            all videos and told apart by their time codes. Measured on ``bench.category`` (25
            minutes): the six humans' bone lengths gained (r 0.721 -> 0.831; held-out IoU 0.714 ->
            0.718), the six quadrupeds lost (held-out IoU 0.794 -> 0.741, r 0.779 -> 0.719; a
            shared-and-per-video sum too: 0.741), so it is an option, off by default
            (docs/history/2026-11-25.md). The shared network is the category's motion prior.
    """

    rest_joints: torch.Tensor  # buffer
    bone_tie: torch.Tensor  # buffer

    def __init__(
        self,
        skeleton: Skeleton,
        num_videos: int,
        time_dim: int,
        code_dim: int,
        hidden: int = 128,
        per_video: bool = False,
    ):
        super().__init__()
        self.skeleton = skeleton
        J = skeleton.num_joints
        self.register_buffer("rest_joints", torch.tensor(skeleton.rest_joints, dtype=torch.float32))
        self.parents = [int(p) for p in skeleton.parents]
        # one bone-length parameter per left/right pair: bone b ends at joint b + 1
        children = skeleton.bone_children
        mirror = skeleton.symmetry[children] - 1
        pair = np.minimum(np.arange(J - 1), mirror)
        uniq, tie = np.unique(pair, return_inverse=True)
        self.register_buffer("bone_tie", torch.tensor(tie, dtype=torch.long))
        self.num_bone_params = len(uniq)
        self.length_head = nn.Linear(code_dim, self.num_bone_params)
        nn.init.zeros_(self.length_head.weight)
        nn.init.zeros_(self.length_head.bias)
        self.per_video = per_video
        self.rot_net: PerVideoMLP | MLP
        if per_video:
            self.rot_net = PerVideoMLP(num_videos, time_dim, hidden, 2, (J - 1) * 3)
        else:
            self.rot_net = mlp(time_dim, hidden, 2, (J - 1) * 3, zero_last=True)

    @property
    def num_joints(self) -> int:
        return self.rest_joints.shape[0]

    def bone_scale(self, code: torch.Tensor) -> torch.Tensor:
        """``(K, code_dim)`` morphology codes to ``(K, J-1)`` bone-length factors (symmetric)."""
        return torch.exp(self.length_head(code))[:, self.bone_tie]

    def rest_joints_for(self, bone_scale: torch.Tensor) -> torch.Tensor:
        """``(K, J-1)`` bone factors to ``(K, J, 3)`` the individuals' rest joints (root fixed)."""
        rest = self.rest_joints
        out = [rest[0].expand(bone_scale.shape[0], 3)]
        for j in range(1, self.num_joints):
            p = self.parents[j]
            out.append(out[p] + bone_scale[:, j - 1, None] * (rest[j] - rest[p]))
        return torch.stack(out, dim=1)

    def joint_rotvecs(self, time_embed: torch.Tensor, video: torch.Tensor) -> torch.Tensor:
        """``(K, D)`` time embeddings of frames of ``(K,)`` videos to ``(K, J, 3)`` local joint
        rotation vectors (root: zero)."""
        K = time_embed.shape[0]
        rv = self.rot_net(time_embed, video) if self.per_video else self.rot_net(time_embed).float()
        rv = rv.reshape(K, -1, 3)
        return torch.cat([torch.zeros(K, 1, 3, dtype=rv.dtype, device=rv.device), rv], dim=1)

    def forward_kinematics(self, local_rot: torch.Tensor, rest: torch.Tensor) -> torch.Tensor:
        """``(K, J, 3, 3)`` rotations and ``(K, J, 3)`` rest joints to ``(K, J, 4, 4)`` joint2obj."""
        Rs, ts = [], []
        for j in range(self.num_joints):
            p = self.parents[j]
            if p < 0:
                Rs.append(local_rot[:, j])
                ts.append(rest[:, j])
            else:
                Rs.append(Rs[p] @ local_rot[:, j])
                ts.append(ts[p] + (Rs[p] @ (rest[:, j] - rest[:, p])[..., None])[..., 0])
        return make_transform(torch.stack(Rs, dim=1), torch.stack(ts, dim=1))

    def forward(
        self, time_embed: torch.Tensor, video: torch.Tensor, code: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Pose K frames.

        Args:
            time_embed: ``(K, D)`` per-frame embeddings.
            video: ``(K,)`` each frame's video (whose motion network poses it).
            code: ``(K, code_dim)`` morphology code of each frame's individual.
        Returns:
            skin: ``(K, J, 4, 4)`` canonical rest -> posed object space, per joint.
            joints: ``(K, J, 3)`` posed joint positions in object space.
            bone_scale: ``(K, J-1)`` the individuals' bone factors.
            rotvecs: ``(K, J, 3)`` the local joint rotation vectors (for the pose prior).
        """
        scale = self.bone_scale(code)
        rotvecs = self.joint_rotvecs(time_embed, video)
        joint2obj = self.forward_kinematics(axis_angle_to_matrix(rotvecs), self.rest_joints_for(scale))
        R = joint2obj[..., :3, :3]
        skin = make_transform(R, joint2obj[..., :3, 3] - (R @ self.rest_joints[None, :, :, None])[..., 0])
        return skin, joint2obj[..., :3, 3], scale, rotvecs
