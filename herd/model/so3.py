"""Rotations and rigid transforms in PyTorch (differentiable, float32 or float64)."""

from __future__ import annotations

import torch


def hat(v: torch.Tensor) -> torch.Tensor:
    """``(..., 3)`` vectors to ``(..., 3, 3)`` skew-symmetric matrices."""
    x, y, z = v.unbind(-1)
    o = torch.zeros_like(x)
    return torch.stack([o, -z, y, z, o, -x, -y, x, o], dim=-1).reshape(v.shape[:-1] + (3, 3))


def axis_angle_to_matrix(rotvec: torch.Tensor) -> torch.Tensor:
    """Rodrigues' formula, smooth at zero: ``(..., 3)`` radians to ``(..., 3, 3)``."""
    theta2 = (rotvec * rotvec).sum(-1, keepdim=True)[..., None]
    theta = torch.sqrt(theta2 + 1e-12)
    small = theta2 < 1e-8
    # sin(t)/t and (1-cos t)/t^2 with Taylor expansions near zero
    a = torch.where(small, 1 - theta2 / 6, torch.sin(theta) / theta)
    b = torch.where(
        small, 0.5 - theta2 / 24, (1 - torch.cos(theta)) / torch.where(small, torch.ones_like(theta2), theta2)
    )
    K = hat(rotvec)
    eye = torch.eye(3, dtype=rotvec.dtype, device=rotvec.device).expand(K.shape)
    return eye + a * K + b * (K @ K)


def matrix_to_axis_angle(R: torch.Tensor) -> torch.Tensor:
    """``(..., 3, 3)`` rotations to ``(..., 3)`` rotation vectors (angles below pi)."""
    cos = ((R[..., 0, 0] + R[..., 1, 1] + R[..., 2, 2] - 1) / 2).clamp(-1 + 1e-7, 1 - 1e-7)
    theta = torch.acos(cos)
    w = torch.stack([R[..., 2, 1] - R[..., 1, 2], R[..., 0, 2] - R[..., 2, 0], R[..., 1, 0] - R[..., 0, 1]], -1)
    s = torch.sin(theta)[..., None]
    scale = torch.where(s.abs() < 1e-6, 0.5 + theta[..., None] ** 2 / 12, theta[..., None] / (2 * s))
    return w * scale


def make_transform(R: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """``(..., 4, 4)`` from ``(..., 3, 3)`` and ``(..., 3)``."""
    T = torch.zeros(R.shape[:-2] + (4, 4), dtype=R.dtype, device=R.device)
    T[..., :3, :3] = R
    T[..., :3, 3] = t
    T[..., 3, 3] = 1
    return T


def invert_transform(T: torch.Tensor) -> torch.Tensor:
    """Inverse of rigid ``(..., 4, 4)``."""
    Rt = T[..., :3, :3].transpose(-1, -2)
    return make_transform(Rt, -(Rt @ T[..., :3, 3:4])[..., 0])


def apply_transform(T: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``(..., 4, 4)`` applied to ``(..., N, 3)`` points."""
    return x @ T[..., :3, :3].transpose(-1, -2) + T[..., None, :3, 3]
