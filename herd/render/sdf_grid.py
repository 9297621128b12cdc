"""A signed-distance field sampled on a dense grid for marching cubes, evaluated exactly only near
the surface.

Marching cubes needs exact values only in cells the surface passes through; elsewhere the sign is
enough. The field is first evaluated on a grid ``BLOCK`` times coarser; blocks whose corners change
sign or come closer to the surface than ``MARGIN`` times their diagonal are evaluated at full
resolution, and the rest is filled by trilinear interpolation of the coarse values, whose sign is
right there. A surface inside a block lies within half a diagonal of one of its corners, so for a
true distance half a diagonal would do; the margin of one diagonal allows the learned SDF's
gradient norm to fall to one half. On the demo model at 256 cells per side this evaluates 2.5% of
the points, the grid takes 6 s instead of 61 on one core, and every value marching cubes reads
near the surface is the dense grid's (docs/export.md).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

#: fine points per coarse block edge
BLOCK = 4
#: a block is refined when a corner is closer to the surface than this many block diagonals
MARGIN = 1.0


def _points(lo: np.ndarray, step: float, index: torch.Tensor) -> torch.Tensor:
    """``(N, 3)`` integer grid indices to points ``lo + index * step``."""
    return torch.as_tensor(lo, dtype=torch.float32) + index.float() * step


def _evaluate(sdf_fn, pts: torch.Tensor, chunk: int = 65536) -> torch.Tensor:
    if len(pts) == 0:
        return torch.zeros(0)
    return torch.cat([sdf_fn(p).float().cpu() for p in torch.split(pts, chunk)])


@torch.no_grad()
def sdf_grid(sdf_fn, lo: np.ndarray, step: float, size: int, block: int = BLOCK) -> tuple[np.ndarray, float]:
    """The SDF at the ``size^3`` points ``lo + (i, j, k) * step``.

    Args:
        sdf_fn: ``(N, 3)`` points to ``(N,)`` signed distance (same units as ``step``).
        lo: ``(3,)`` first grid point; step: spacing; size: points per side.
        block: fine points per coarse block edge (1: evaluate every point).
    Returns:
        ``(size, size, size)`` float32 array indexed ``[i, j, k]`` and the share of points that
        were evaluated.
    """
    if block <= 1 or size <= 2 * block:
        idx = torch.stack(torch.meshgrid(*[torch.arange(size)] * 3, indexing="ij"), -1).reshape(-1, 3)
        return _evaluate(sdf_fn, _points(lo, step, idx)).reshape(size, size, size).numpy(), 1.0
    nc = -(-(size - 1) // block) + 1  # coarse points per side; the fine grid is padded to (nc-1)*block+1
    full = (nc - 1) * block + 1
    cidx = torch.stack(torch.meshgrid(*[torch.arange(nc) * block] * 3, indexing="ij"), -1).reshape(-1, 3)
    coarse = _evaluate(sdf_fn, _points(lo, step, cidx)).reshape(nc, nc, nc)
    c5 = coarse[None, None]
    hi_v, lo_v = F.max_pool3d(c5, 2, stride=1)[0, 0], -F.max_pool3d(-c5, 2, stride=1)[0, 0]
    near = -F.max_pool3d(-c5.abs(), 2, stride=1)[0, 0] < MARGIN * np.sqrt(3) * block * step
    band = near | ((hi_v > 0) & (lo_v < 0))  # (nc-1)^3 blocks
    grid = F.interpolate(c5, size=(full,) * 3, mode="trilinear", align_corners=True)[0, 0]
    fine = band.repeat_interleave(block, 0).repeat_interleave(block, 1).repeat_interleave(block, 2)
    fine = F.pad(fine[None, None].float(), (0, 1, 0, 1, 0, 1), mode="replicate")[0, 0] > 0
    # points on a band block's far faces belong to the next block: include them too
    fine = F.max_pool3d(fine[None, None].float(), 2, stride=1, padding=1)[0, 0, :full, :full, :full] > 0
    fidx = fine.nonzero()
    grid[fine] = _evaluate(sdf_fn, _points(lo, step, fidx))
    share = len(fidx) / full**3
    return grid[:size, :size, :size].contiguous().numpy(), float(share)
