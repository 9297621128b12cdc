"""Render rays of a batch of frames: sampling, empty-space skipping, warping, compositing, flow;
in training, also the samples the objective's regularisers are computed from."""

from __future__ import annotations

import dataclasses

import torch

from herd.model.encodings import PerFrame
from herd.model.model import FrameState, HerdModel
from herd.model.so3 import apply_transform
from herd.render.occupancy import Proxy
from herd.render.rays import pixel_rays, project, ray_box


@dataclasses.dataclass
class RenderConfig:
    """Sampling settings.

    Attributes:
        num_samples: samples per ray between the near and far bounds.
        bounds_margin: padding of the per-frame proxy box, as a fraction of the object extent.
        eikonal_points: occupied canonical points per step that get the eikonal term.
    """

    num_samples: int = 48
    bounds_margin: float = 0.08
    eikonal_points: int = 1024
    weight_threshold: float = 1e-3
    skip_empty: bool = True


@dataclasses.dataclass
class TrainingSamples:
    """The samples of a training render, for the regularisers the objective computes from them
    (:mod:`herd.train.objective`): the ``N`` occupied samples, grouped by frame, in both spaces,
    which of them weigh in the image, and canonical points for the SDF's terms.

    Attributes:
        posed: ``(N, 3)`` sample points in the posed object space of their frames.
        canonical: ``(N, 3)`` the same points warped to canonical space (differentiable).
        back_offset: ``(N, 3)`` the backward soft displacement in that warp, or None without soft
            deformation.
        weight: ``(N,)`` compositing weights (differentiable).
        selected: ``(M,)`` indices of the samples whose weight is above the threshold (those that
            matter for the warp regularisers).
        selected_frame: ``(M,)`` batch frame (0..K-1) of each selected sample; selected_counts: the
            number of selected samples of each of the ``K`` frames.
        eik_points: ``(E, 3)`` canonical points (detached) for the eikonal term; eik_codes:
            ``(E, C)`` the shape codes they are evaluated with.
    """

    posed: torch.Tensor
    canonical: torch.Tensor
    back_offset: torch.Tensor | None
    weight: torch.Tensor
    selected: torch.Tensor
    selected_frame: torch.Tensor
    selected_counts: list[int]
    eik_points: torch.Tensor
    eik_codes: torch.Tensor


@dataclasses.dataclass
class RayOutputs:
    """Per-ray renders (``R`` rays) and what the losses need.

    Attributes:
        opacity: ``(R,)``; rgb: ``(R, 3)``; depth: ``(R,)`` camera z; xyz: ``(R, 3)`` canonical.
        flow: ``(R, 2)`` pixels to the paired frame (None when not asked for).
        samples: what a training render hands the objective for its regularisers
            (:class:`TrainingSamples`; None when rendering, or when no sample was occupied).
        occupied_fraction: share of samples that reached the networks.
        origins, dirs: ``(R, 3)`` the rays in posed object space; z: ``(R, S)`` sample depths;
            sample_sdf: ``(R, S)`` SDF at the samples, nan where skipped; sample_weight: ``(R, S)``
            compositing weights (not training only: what :func:`herd.render.surface.find_surface`
            starts from).
    """

    opacity: torch.Tensor
    rgb: torch.Tensor
    depth: torch.Tensor
    xyz: torch.Tensor
    flow: torch.Tensor | None = None
    samples: TrainingSamples | None = None
    occupied_fraction: float = 0.0
    origins: torch.Tensor | None = None
    dirs: torch.Tensor | None = None
    z: torch.Tensor | None = None
    sample_sdf: torch.Tensor | None = None
    sample_weight: torch.Tensor | None = None


@torch.no_grad()
def frame_bounds(model: HerdModel, st: FrameState, proxy: Proxy, margin: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``(K, 3)`` lo/hi of each frame's posed proxy points (object space), padded by ``margin``."""
    K, P = st.frames.shape[0], proxy.points.shape[0]
    pts = proxy.points.repeat(K, 1)
    posed = model.to_posed(pts, [P] * K, st).reshape(K, P, 3)
    pad = margin * model.extent
    return posed.amin(1) - pad, posed.amax(1) + pad


def _segment_sums(values: torch.Tensor, counts: list[int]) -> list[int]:
    return [int(v.sum()) for v in torch.split(values, counts)]


def _shade_with_normals(
    model: HerdModel, st: FrameState, xo: torch.Tensor, xc0: torch.Tensor, counts: list[int], code: PerFrame
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor, torch.Tensor]:
    """Warp and shade ``(N, 3)`` posed samples (grouped by frame) whose colour sees the surface
    normal: the gradient of the posed SDF at each sample (one extra backward pass through the
    trunk and the warp, first order), rotated to camera space and detached, so that the colour
    loss shapes the colour and never the geometry through it. Returns canonical points, the
    backward soft offset, SDF and RGB."""
    training = torch.is_grad_enabled()
    with torch.enable_grad():
        probe = xo.detach().requires_grad_(True)
        x_in = probe + (xo - xo.detach())  # the value of xo, its gradients to both
        xc, back_offset = model.to_canonical(x_in, xc0, counts, st, return_offset=True)
        sdf, feat = model.field.geometry(xc, code)
        (grad,) = torch.autograd.grad(sdf.sum(), probe, retain_graph=training)
    rot = PerFrame(st.obj2cam[:, :3, :3].detach(), counts).per_point()
    n = (rot @ grad[..., None])[..., 0]
    n = (n / n.norm(dim=-1, keepdim=True).clamp(min=1e-12)).detach()
    if not training:  # rendering: drop the graph built for the gradient
        xc, sdf, feat = xc.detach(), sdf.detach(), feat.detach()
        back_offset = None if back_offset is None else back_offset.detach()
    return xc, back_offset, sdf, model.field.color(xc, feat, PerFrame(st.app, counts), n)


def render_rays(
    model: HerdModel,
    st: FrameState,
    pix: torch.Tensor,
    counts: list[int],
    proxy: Proxy,
    cfg: RenderConfig,
    training: bool = True,
    pair: FrameState | None = None,
    generator: torch.Generator | None = None,
) -> RayOutputs:
    """Volume-render rays grouped by frame.

    Args:
        model: the model.
        st: state of the ``K`` frames the rays belong to.
        pix: ``(R, 2)`` pixel coordinates, rays of frame k contiguous, ``counts[k]`` of them.
        proxy: current proxy (occupancy grid and surface points).
        training: stratified jitter of the samples, and the samples the regularisers need
            (:attr:`RayOutputs.samples`).
        pair: state of each frame's paired frame (same order), to render flow into it.
    """
    R, S = pix.shape[0], cfg.num_samples
    dev = pix.device
    origins, dirs = pixel_rays(pix, st.intrinsics, st.obj2cam, counts)
    lo, hi = frame_bounds(model, st, proxy, cfg.bounds_margin)
    rep = torch.tensor(counts, device=dev)
    near, far = ray_box(origins, dirs, torch.repeat_interleave(lo, rep, 0), torch.repeat_interleave(hi, rep, 0))
    hit = far > near
    far = torch.where(hit, far, near + 1e-3)
    u = torch.rand(R, S, generator=generator, device=dev) if training else torch.full((R, S), 0.5, device=dev)
    z = near[:, None] + (far - near)[:, None] * (torch.arange(S, device=dev) + u) / S  # (R, S) camera depth
    x = (origins[:, None] + z[..., None] * dirs[:, None]).reshape(-1, 3)  # posed object space
    sample_counts = [c * S for c in counts]
    with torch.no_grad():
        xc0 = model.to_canonical_coarse(x, sample_counts, st)
        occ = hit.repeat_interleave(S)
        if cfg.skip_empty:
            occ = occ & proxy.query(xc0)
    idx = occ.nonzero()[:, 0]
    occ_counts = _segment_sums(occ, sample_counts)
    xo = x[idx]
    code = PerFrame(st.shape_code, occ_counts)
    if model.field.shading:
        xc, back_offset, sdf, rgb = _shade_with_normals(model, st, xo, xc0[idx], occ_counts, code)
    else:
        xc, back_offset = model.to_canonical(xo, xc0[idx], occ_counts, st, return_offset=True)
        sdf, rgb = model.shade(xc, code, PerFrame(st.app, occ_counts))
    sigma = torch.zeros(R * S, device=dev).index_put((idx,), model.density(sdf))
    delta = (far - near)[:, None] / S * dirs.norm(dim=-1, keepdim=True)  # metric step length
    alpha = 1 - torch.exp(-sigma.reshape(R, S) * delta)
    trans = torch.cumprod(torch.cat([torch.ones(R, 1, device=dev), 1 - alpha[:, :-1] + 1e-7], 1), 1)
    w = alpha * trans  # (R, S)
    wo = w.reshape(-1)[idx]
    opacity = w.sum(1)
    ray_of = idx // S
    rgb_r = torch.zeros(R, 3, device=dev).index_add(0, ray_of, wo[:, None] * rgb)
    xyz_r = torch.zeros(R, 3, device=dev).index_add(0, ray_of, wo[:, None] * xc)
    depth = (w * z).sum(1)
    out = RayOutputs(
        opacity=opacity,
        rgb=rgb_r,
        depth=depth,
        xyz=xyz_r,
        occupied_fraction=float(occ.float().mean()) if occ.numel() else 0.0,
    )
    if not training:
        out.origins, out.dirs, out.z, out.sample_weight = origins, dirs, z, w.detach()
        out.sample_sdf = torch.full((R * S,), float("nan"), device=dev).index_put((idx,), sdf.detach()).reshape(R, S)
    # flow and warp regularisers only where the samples matter: weight above a threshold
    sel = (wo.detach() > cfg.weight_threshold).nonzero()[:, 0] if len(idx) else idx
    sel_frame = torch.repeat_interleave(torch.arange(len(counts), device=dev), torch.tensor(occ_counts, device=dev))[
        sel
    ]
    sel_counts = [int(c) for c in torch.bincount(sel_frame, minlength=len(counts))]
    if pair is not None:
        out.flow = torch.zeros(R, 2, device=dev)
        if len(sel):
            xp = model.to_posed(xc[sel], sel_counts, pair)
            cam = torch.cat([apply_transform(pair.obj2cam[k], p) for k, p in enumerate(torch.split(xp, sel_counts))])
            uv = project(cam, PerFrame(pair.intrinsics, sel_counts).per_point())
            ws = wo[sel]
            num = torch.zeros(R, 2, device=dev).index_add(0, ray_of[sel], ws[:, None] * uv)
            den = torch.zeros(R, device=dev).index_add(0, ray_of[sel], ws)
            out.flow = num / den.clamp(min=1e-4)[:, None] - pix
    if training and len(sel):
        m = min(cfg.eikonal_points, len(idx))
        pick = torch.randperm(len(idx), generator=generator, device=dev)[:m]
        out.samples = TrainingSamples(
            posed=xo,
            canonical=xc,
            back_offset=back_offset,
            weight=wo,
            selected=sel,
            selected_frame=sel_frame,
            selected_counts=sel_counts,
            eik_points=xc[pick].detach(),
            eik_codes=code.rows(pick).detach(),
        )
    return out


@torch.no_grad()
def render_mask(
    model: HerdModel,
    frame: int,
    res: int,
    proxy: Proxy,
    cfg: RenderConfig,
    obj2cam: torch.Tensor | None = None,
    intrinsics: torch.Tensor | None = None,
):
    """``(res, res)`` bool NumPy silhouette (opacity > 0.5) of a global frame, optionally from
    another camera (``(4, 4)`` obj2cam in the model's object space, ``(4,)`` intrinsics at ``res``)."""
    dev = model.center.device
    st = model.frame_state(torch.tensor([frame], device=dev))
    if obj2cam is not None:
        st.obj2cam = obj2cam[None].to(dev, torch.float32)
    if intrinsics is not None:
        st.intrinsics = intrinsics[None].to(dev, torch.float32)
    return (render_image(model, st, res, res, proxy, cfg, surface=False)["opacity"] > 0.5).cpu().numpy()


@torch.no_grad()
def render_image(
    model: HerdModel,
    st: FrameState,
    height: int,
    width: int,
    proxy: Proxy,
    cfg: RenderConfig,
    chunk: int = 8192,
    surface: bool = True,
) -> dict[str, torch.Tensor]:
    """Render one frame (``st`` of a single frame) in chunks: ``opacity (H, W)``, ``rgb (H, W, 3)``,
    ``depth (H, W)`` (volume-rendered, not normalised by opacity), ``xyz (H, W, 3)``; with
    ``surface`` also ``surface_depth (H, W)`` camera z of the SDF's zero crossing (nan where there
    is none) and ``normal (H, W, 3)`` unit camera-space normals from the SDF's gradient
    (:mod:`herd.render.surface`). Memory stays flat at any resolution."""
    from herd.render.surface import find_surface

    ys, xs = torch.meshgrid(
        torch.arange(height, dtype=torch.float32), torch.arange(width, dtype=torch.float32), indexing="ij"
    )
    pix = torch.stack([xs.reshape(-1), ys.reshape(-1)], -1)
    outs: dict[str, list[torch.Tensor]] = {"opacity": [], "rgb": [], "depth": [], "xyz": []}
    if surface:
        outs |= {"surface_depth": [], "normal": []}
    for p in torch.split(pix, chunk):
        o = render_rays(model, st, p, [p.shape[0]], proxy, cfg, training=False)
        for k in ("opacity", "rgb", "depth", "xyz"):
            outs[k].append(getattr(o, k))
        if surface:
            # a render with training=False keeps the rays and samples
            assert o.origins is not None and o.dirs is not None and o.z is not None
            assert o.sample_sdf is not None and o.sample_weight is not None
            s = find_surface(model, st, o.origins, o.dirs, [p.shape[0]], o.z, o.sample_sdf, o.sample_weight)
            outs["surface_depth"].append(s.depth)
            outs["normal"].append(s.normal)
    return {k: torch.cat(v).reshape(height, width, -1).squeeze(-1) for k, v in outs.items()}
