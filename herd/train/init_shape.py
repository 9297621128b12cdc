"""Initial shape: fit the canonical SDF to a blob around the rest skeleton (or a sphere)."""

from __future__ import annotations

import torch

from herd.model.fields import capsule_sdf
from herd.model.model import HerdModel


def target_sdf(model: HerdModel):
    """SDF ``(N, 3) -> (N,)`` of the initial shape: capsules along the bones with a radius of 8% of
    the object extent, or a sphere of half the extent without a skeleton."""
    if model.skeleton is not None:
        rest = torch.tensor(model.skeleton.rest_joints, dtype=torch.float32)
        c = torch.tensor(model.skeleton.bone_children)
        p = torch.tensor(model.skeleton.parents[model.skeleton.bone_children])
        r = torch.full((len(c),), 0.08 * model.extent)
        return lambda x: capsule_sdf(x, rest[p], rest[c], r)
    center, radius = model.center, 0.5 * model.extent
    return lambda x: (x - center).norm(dim=-1) - radius


def fit_initial_shape(model: HerdModel, steps: int = 300, batch: int = 4096, seed: int = 0) -> float:
    """Regress the SDF to :func:`target_sdf` for every morphology code; returns the final L1 error
    in units of the extent."""
    g = torch.Generator().manual_seed(seed)
    target = target_sdf(model)
    opt = torch.optim.Adam(model.field.parameters(), lr=3e-3)
    lo, hi = model.center - 1.2 * model.extent, model.center + 1.2 * model.extent
    err = torch.tensor(0.0)
    for _ in range(steps):
        x = lo + (hi - lo) * torch.rand(batch, 3, generator=g)
        code = model.morph_codes[torch.randint(0, model.morph_codes.shape[0], (batch,), generator=g)].detach()
        err = (model.sdf(x, code) - target(x)).abs().clamp(max=0.5 * model.extent).mean()
        opt.zero_grad()
        err.backward()
        opt.step()
    return float(err.detach()) / model.extent
