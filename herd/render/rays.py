"""Camera rays of pixels, in the posed object space of their frame."""

from __future__ import annotations

import torch

from herd.model.so3 import invert_transform


def pixel_rays(
    pix: torch.Tensor, intrinsics: torch.Tensor, obj2cam: torch.Tensor, counts: list[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rays through pixels, grouped by frame.

    Args:
        pix: ``(R, 2)`` pixel coordinates (x, y), pixel centres at integers.
        intrinsics: ``(K, 4)`` fx, fy, cx, cy per frame.
        obj2cam: ``(K, 4, 4)`` per frame.
        counts: rays per frame (sum ``R``).
    Returns:
        origins ``(R, 3)`` (the camera centre) and directions ``(R, 3)`` in posed object space,
        scaled so that a step of 1 along the direction advances camera z by 1.
    """
    rep = torch.tensor(counts, device=pix.device)
    K = torch.repeat_interleave(intrinsics, rep, dim=0)
    d_cam = torch.stack(
        [(pix[:, 0] - K[:, 2]) / K[:, 0], (pix[:, 1] - K[:, 3]) / K[:, 1], torch.ones_like(pix[:, 0])], -1
    )
    cam2obj = torch.repeat_interleave(invert_transform(obj2cam), rep, dim=0)
    dirs = (cam2obj[:, :3, :3] @ d_cam[..., None])[..., 0]
    return cam2obj[:, :3, 3], dirs


def ray_box(
    origins: torch.Tensor, dirs: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Slab intersection of ``(R, 3)`` rays with per-ray boxes ``(R, 3)`` lo/hi: ``(R,)`` near, far
    (far <= near where the ray misses)."""
    inv = 1.0 / torch.where(dirs.abs() < 1e-9, torch.full_like(dirs, 1e-9), dirs)
    t0, t1 = (lo - origins) * inv, (hi - origins) * inv
    near = torch.minimum(t0, t1).amax(-1).clamp(min=1e-4)
    far = torch.maximum(t0, t1).amin(-1)
    return near, far


def project(points_cam: torch.Tensor, intrinsics: torch.Tensor) -> torch.Tensor:
    """``(N, 3)`` camera points with ``(N, 4)`` intrinsics to ``(N, 2)`` pixels."""
    z = points_cam[:, 2].clamp(min=1e-6)
    return torch.stack(
        [
            intrinsics[:, 0] * points_cam[:, 0] / z + intrinsics[:, 2],
            intrinsics[:, 1] * points_cam[:, 1] / z + intrinsics[:, 3],
        ],
        -1,
    )
