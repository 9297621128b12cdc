"""The surface along camera rays, from the signed-distance field itself rather than from the
volume-rendered depth image: depth where the SDF crosses zero and normals from its gradient.

Volume-rendered depth is the weighted mean of the sample depths; with the density as sharp as a
trained run makes it, most weight falls on one or two samples, so that depth moves in steps of the
sample spacing and its finite-difference normals show stripes. Here the first sign change of the
SDF between neighbouring samples brackets the surface (or, where the samples stepped over a thin
part, a finer search around the depth where the ray turns opaque), a few regula falsi steps (Illinois variant)
on the SDF at the warped point find it, and the normal is the gradient of the posed SDF
``sdf(to_canonical(x))`` with respect to the posed point ``x``: the canonical gradient carried
through the warp's Jacobian (the chain rule), so a bent limb's normals bend with it.

Shapes: ``R`` rays, ``S`` samples per ray. Frames: rays live in posed object space of their frame
(:func:`herd.render.rays.pixel_rays`); normals are returned in camera space (OpenCV: x right, y
down, z forward; a surface seen from the camera has a normal with negative z).
"""

from __future__ import annotations

import dataclasses

import torch

from herd.model.encodings import PerFrame
from herd.model.model import FrameState, HerdModel

#: regula falsi steps inside a bracket; samples of the fine search around the half-opacity depth
ROOT_STEPS = 4
FINE_SAMPLES = 16
#: sphere-tracing steps back to the entry when the fine search starts inside the surface
TRACE_STEPS = 8


@dataclasses.dataclass
class Surface:
    """Where rays meet the surface.

    Attributes:
        depth: ``(R,)`` camera z of the zero crossing (nan where no surface was found).
        normal: ``(R, 3)`` unit camera-space normals (zero where no surface was found).
        bracketed: ``(R,)`` bool, the crossing was bracketed by two of the renderer's samples
            (else found by the fine search around the half-opacity depth).
    """

    depth: torch.Tensor
    normal: torch.Tensor
    bracketed: torch.Tensor


def posed_sdf(model: HerdModel, st: FrameState, x: torch.Tensor, counts: list[int]) -> torch.Tensor:
    """``(N,)`` signed distance at ``(N, 3)`` posed object-space points grouped by frame
    (``counts[k]`` points of frame k): the same warp as rendering, then the canonical SDF."""
    xc0 = model.to_canonical_coarse(x, counts, st)
    xc = model.to_canonical(x, xc0, counts, st)
    return model.sdf(xc, PerFrame(st.shape_code, counts))


def first_crossing(z: torch.Tensor, sdf: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The first outside-to-inside sign change along each ray.

    Args:
        z: ``(R, S)`` increasing sample depths; sdf: ``(R, S)`` SDF at the samples, nan where a
            sample was not evaluated (skipped empty space).
    Returns:
        found ``(R,)`` bool, ``(R, 2)`` depths and ``(R, 2)`` SDF values of the bracketing samples
        (outside first), and ``(R,)`` the index of the outside one (0 where none was found).
    """
    cross = (sdf[:, :-1] > 0) & (sdf[:, 1:] <= 0)  # nan compares False: unevaluated never brackets
    found = cross.any(1)
    i = cross.to(torch.int8).argmax(1)[:, None]
    idx = torch.cat([i, i + 1], 1)
    return found, z.gather(1, idx), sdf.gather(1, idx).nan_to_num(0.0), i[:, 0]


def _ray_frames(counts: list[int], rows: torch.Tensor) -> list[int]:
    """Rays per frame among the selected ``rows`` (rays grouped by frame in ``counts``)."""
    frame = torch.repeat_interleave(
        torch.arange(len(counts), device=rows.device), torch.tensor(counts, device=rows.device)
    )[rows]
    return [int(c) for c in torch.bincount(frame, minlength=len(counts))]


def refine_bracket(f, z: torch.Tensor, s: torch.Tensor, steps: int = ROOT_STEPS) -> torch.Tensor:
    """Illinois regula falsi on ``f((M,) depths) -> (M,) SDF`` inside brackets ``z (M, 2)``, ``s (M, 2)``
    (``s[:, 0] > 0 >= s[:, 1]``): ``(M,)`` depths of the roots."""
    a, b = z[:, 0].clone(), z[:, 1].clone()
    fa, fb = s[:, 0].clone(), s[:, 1].clone()
    side = torch.zeros_like(a)  # +1: the last step moved a, -1: it moved b
    for _ in range(steps):
        t = b - fb * (b - a) / (fb - fa).clamp(max=-1e-12)
        t = torch.minimum(torch.maximum(t, a), b)
        ft = f(t)
        out = ft > 0
        a, fa = torch.where(out, t, a), torch.where(out, ft, fa)
        b, fb = torch.where(out, b, t), torch.where(out, fb, ft)
        keep_b, keep_a = out & (side > 0), ~out & (side < 0)  # one end kept twice: halve its value
        fb = torch.where(keep_b, fb / 2, fb)
        fa = torch.where(keep_a, fa / 2, fa)
        side = torch.where(out, 1.0, -1.0)
    return b - fb * (b - a) / (fb - fa).clamp(max=-1e-12)


def camera_normals(model: HerdModel, st: FrameState, x: torch.Tensor, counts: list[int]) -> torch.Tensor:
    """``(N, 3)`` unit camera-space normals at ``(N, 3)`` posed points grouped by frame: the
    gradient of :func:`posed_sdf` (autograd through the warp), rotated by each frame's obj2cam."""
    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(posed_sdf(model, st, xg, counts).sum(), xg)
    rot = torch.repeat_interleave(st.obj2cam[:, :3, :3].detach(), torch.tensor(counts, device=x.device), 0)
    n = (rot @ grad[..., None])[..., 0]
    return n / n.norm(dim=-1, keepdim=True).clamp(min=1e-12)


@torch.no_grad()
def find_surface(
    model: HerdModel,
    st: FrameState,
    origins: torch.Tensor,
    dirs: torch.Tensor,
    counts: list[int],
    z: torch.Tensor,
    sdf: torch.Tensor,
    weights: torch.Tensor,
) -> Surface:
    """Depth and normals of the surface along rays already volume-rendered.

    The first bracketed crossing is taken when it lies where the ray turns opaque (accumulated
    weight reaching one half at the bracket's samples or the one after). Where it lies further
    (the coarse samples stepped over a limb thinner than their spacing, whose density still made
    the ray opaque) or there is none, ``FINE_SAMPLES`` samples around the half-opacity depth look
    for the crossing; a ray that only grazes the surface (no sign change: the SDF stays just above
    zero) takes the point of least SDF there, and one whose search starts inside (the renderer's
    coarse samples skipped the interior and only the far side turned it opaque) sphere-traces back
    to the entry.

    Args:
        st: state of the ``K`` frames; counts: rays per frame (rays grouped by frame).
        origins, dirs: ``(R, 3)`` rays in posed object space (a unit step advances camera z by 1).
        z, sdf, weights: ``(R, S)`` the renderer's sample depths, SDF (nan where skipped) and
            compositing weights.
    """
    R, S = z.shape
    found, zb, sb, ib = first_crossing(z, sdf)
    cum = weights.cumsum(1)
    opaque = cum[:, -1] > 0.5
    ih = (cum < 0.5).sum(1).clamp(max=S - 1)  # first sample where the ray is half opaque
    fine = opaque & (~found | (ib > ih + 1))
    depth = torch.full((R,), float("nan"), device=z.device)

    def sdf_at(rows: torch.Tensor):
        sub = _ray_frames(counts, rows)
        return lambda t: posed_sdf(model, st, origins[rows] + t[:, None] * dirs[rows], sub)

    rows = (found & ~fine).nonzero()[:, 0]
    if len(rows):
        depth[rows] = refine_bracket(sdf_at(rows), zb[rows], sb[rows])
    rows = fine.nonzero()[:, 0]
    if len(rows):
        lo = z[rows].gather(1, (ih[rows] - 1).clamp(min=0)[:, None])
        hi = z[rows].gather(1, (ih[rows] + 1).clamp(max=S - 1)[:, None])
        t = lo + (hi - lo) * torch.linspace(0, 1, FINE_SAMPLES, device=z.device)  # (M, F)
        rep = rows.repeat_interleave(FINE_SAMPLES)
        s = sdf_at(rep)(t.reshape(-1)).reshape(t.shape)
        ok, tb, sbf, _ = first_crossing(t, s)
        d = t.gather(1, s.argmin(1, keepdim=True))[:, 0]  # grazing rays: closest approach
        sel = ok.nonzero()[:, 0]
        if len(sel):
            d[sel] = refine_bracket(sdf_at(rows[sel]), tb[sel], sbf[sel])
        inside = (~ok & (s.amin(1) < 0)).nonzero()[:, 0]  # the entry lies before the window
        if len(inside):
            f, ti = (
                sdf_at(rows[inside]),
                t[inside].gather(1, (s[inside] < 0).to(torch.int8).argmax(1, keepdim=True))[:, 0],
            )
            step = dirs[rows[inside]].norm(dim=-1)  # metres per unit of camera z
            for _ in range(TRACE_STEPS):  # sphere tracing back towards the camera
                ti = ti + f(ti) / step
            d[inside] = ti
        depth[rows] = d
    normal = torch.zeros(R, 3, device=z.device)
    rows = depth.isfinite().nonzero()[:, 0]
    if len(rows):
        x = origins[rows] + depth[rows, None] * dirs[rows]
        normal[rows] = camera_normals(model, st, x, _ray_frames(counts, rows))
    return Surface(depth=depth, normal=normal, bracketed=found & ~fine)
