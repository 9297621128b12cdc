"""Surfaces from the field: depth at the SDF's zero crossing and normals from its gradient, on an
analytic sphere where both are known exactly."""

import numpy as np
import pytest
import torch
from torch import nn

from herd.model.model import HerdModel, ModelConfig, SceneMeta
from herd.render.frames import render_frame
from herd.render.occupancy import build_proxy
from herd.render.renderer import RenderConfig

RADIUS, DIST, RES, FOCAL = 0.6, 3.0, 64, 150.0


class SphereField(nn.Module):
    """A canonical field that is a sphere of ``RADIUS`` about the origin, grey everywhere."""

    shading = False

    def sdf(self, x, code=None):
        return x.norm(dim=-1) - RADIUS

    def forward(self, x, code=None, app=None, normal=None):
        return self.sdf(x), torch.full((x.shape[0], 3), 0.5)


def _sphere_scene(beta: float = 0.004, rotation: np.ndarray | None = None):
    """A rigid model whose field is the sphere, seen from ``DIST`` along +z (optionally turned)."""
    init = np.eye(4)[None].copy()
    init[0, 2, 3] = DIST
    if rotation is not None:
        init[0, :3, :3] = rotation
    meta = SceneMeta(
        frame_video=np.zeros(1, np.int64),
        frame_time=np.zeros(1),
        init_obj2cam=init,
        intrinsics=np.array([[FOCAL, FOCAL, RES / 2 - 0.5, RES / 2 - 0.5]]),
        num_videos=1,
        skeleton=None,
        center=np.zeros(3),
        extent=1.0,
    )
    model = HerdModel(ModelConfig(fg_motion="rigid"), meta).eval()
    model.field = SphereField()
    with torch.no_grad():
        model.density.log_beta.fill_(float(np.log(beta - model.density.beta_min)))
    proxy = build_proxy(model.field.sdf, torch.full((3,), -1.0), torch.full((3,), 1.0), G=64)
    with torch.no_grad():
        st = model.frame_state(torch.tensor([0]))
    return model, st, proxy


def _true_surface(st, row: int):
    """Analytic camera-space depth ``(W,)`` and unit normals ``(W, 3)`` along image row ``row``
    (nan where the ray misses)."""
    fx, fy, cx, cy = st.intrinsics[0].double().numpy()
    T = st.obj2cam[0].double().numpy()
    u = np.arange(RES)
    d = np.stack([(u - cx) / fx, np.full(RES, (row - cy) / fy), np.ones(RES)], -1)  # camera z = 1 steps
    c = T[:3, 3]  # sphere centre in camera space
    a, b, cc = (d * d).sum(-1), -2 * d @ c, c @ c - RADIUS**2
    disc = b * b - 4 * a * cc
    t = np.where(disc > 0, (-b - np.sqrt(np.clip(disc, 0, None))) / (2 * a), np.nan)
    p = t[:, None] * d
    n = (p - c) / RADIUS
    return t, n


def _row(beta=0.004, rotation=None, samples=32):
    model, st, proxy = _sphere_scene(beta, rotation)
    img = render_frame(model, st, RES, proxy, RenderConfig(num_samples=samples))
    row = RES // 2 + 3
    depth, normal = _true_surface(st, row)
    # inside the silhouette, two pixels away from its edge
    inside = np.isfinite(depth) & (img["mask"][row] > 0.5)
    inside &= np.convolve(inside, np.ones(5), "same") == 5
    return img, row, depth, normal, inside


def test_normals_along_a_scanline_are_smooth_and_true():
    """The stripe criterion: normals across a sphere must follow the sphere, with no ripple at
    the spacing of the samples along the rays (what finite differences of the volume-rendered
    depth gave)."""
    img, row, _, true_n, inside = _row()
    n = img["normal"][row][inside].astype(np.float64)
    assert inside.sum() > 30
    angle = np.degrees(np.arccos(np.clip((n * true_n[inside]).sum(-1) / np.linalg.norm(n, axis=-1), -1, 1)))
    assert angle.max() < 0.2, f"normals off the sphere's by up to {angle.max():.1f} degrees"
    # no periodic component: the error's spectrum has no peak, its second differences stay tiny
    err = n - true_n[inside]
    assert np.abs(np.diff(err, 2, axis=0)).max() < 0.01
    spectrum = np.abs(np.fft.rfft(err[:, 0] - err[:, 0].mean()))
    assert spectrum[1:].max() < 0.2


def test_surface_depth_is_the_zero_crossing_and_beats_the_volume_depth():
    img, row, true_z, _, inside = _row()
    z = img["depth"][row][inside]
    err = np.abs(z - true_z[inside])
    vol_err = np.abs(img["depth_volume"][row][inside] - true_z[inside])
    assert err.max() < 1e-3 * DIST
    assert err.mean() < 0.2 * vol_err.mean()


def test_normals_are_in_the_camera_frame():
    """A camera turned about y sees the same sphere; the normals must come out in its frame."""
    a = np.radians(35.0)
    R = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    img, row, _, true_n, inside = _row(rotation=R)
    n = img["normal"][row][inside]
    assert np.abs(n - true_n[inside]).max() < 0.02


@pytest.mark.parametrize("samples", [8, 64])
def test_surface_holds_at_any_sample_count(samples):
    img, row, true_z, true_n, inside = _row(samples=samples)
    assert np.abs(img["depth"][row][inside] - true_z[inside]).max() < 2e-3 * DIST
    assert np.abs(img["normal"][row][inside] - true_n[inside]).max() < 0.03


def test_normals_follow_the_warp():
    """Through skinning and soft deformation the normal is the gradient of the posed SDF: compare
    with central differences of ``sdf(to_canonical(x))`` in posed space, rotated to the camera."""
    from test_model import _perturb, _tiny_model

    from herd.render.surface import camera_normals, posed_sdf

    model = _tiny_model()
    _perturb(model)
    model.set_progress(1.0)
    with torch.no_grad():
        st = model.frame_state(torch.tensor([1, 8]))
        x = model.center + 0.3 * model.extent * torch.randn(2 * 40, 3, generator=torch.Generator().manual_seed(0))
        n = camera_normals(model, st, x, [40, 40])
        eps, g = 1e-3, torch.zeros_like(x)
        for a in range(3):
            e = torch.zeros(3)
            e[a] = eps
            g[:, a] = (posed_sdf(model, st, x + e, [40, 40]) - posed_sdf(model, st, x - e, [40, 40])) / (2 * eps)
        R = torch.repeat_interleave(st.obj2cam[:, :3, :3], 40, 0)
        fd = (R @ g[..., None])[..., 0]
        fd = fd / fd.norm(dim=-1, keepdim=True)
    assert torch.allclose(n, fd, atol=2e-2), (n - fd).abs().max()
    assert (n.norm(dim=-1) - 1).abs().max() < 1e-5


def test_shading_colour_sees_the_normals_that_renders_show():
    """The colour's normal input (per sample, through the warp) is the normal of
    :mod:`herd.render.surface`, detached; without one the colour is that of a surface facing the
    camera (what exports bake)."""
    from test_model import _perturb, _tiny_model

    from herd.model.encodings import PerFrame
    from herd.render import renderer
    from herd.render.surface import camera_normals

    model = _tiny_model()
    _perturb(model)
    seen = {}
    color = model.field.color

    def spy(x, feat, app=None, normal=None):
        seen["normal"] = normal
        return color(x, feat, app, normal)

    model.field.color = spy
    with torch.no_grad():
        st = model.frame_state(torch.tensor([2]))
        xo = model.center + 0.3 * model.extent * torch.randn(50, 3, generator=torch.Generator().manual_seed(1))
        xc0 = model.to_canonical_coarse(xo, [50], st)
    st.obj2cam.requires_grad_(False)
    _, _, _, rgb = renderer._shade_with_normals(model, st, xo, xc0, [50], PerFrame(st.shape_code, [50]))
    # the same up to the coarse warp's own dependence on the point, which the colour's input
    # leaves out (the renderer computes that warp without gradients)
    cos = (seen["normal"] * camera_normals(model, st, xo, [50])).sum(-1)
    assert cos.min() > 0.95 and cos.median() > 0.995, (cos.min(), cos.median())
    assert not seen["normal"].requires_grad
    facing = torch.tensor([[0.0, 0.0, -1.0]]).expand(50, 3)
    _, feat = model.field.geometry(model.to_canonical(xo, xc0, [50], st), PerFrame(st.shape_code, [50]))
    with torch.no_grad():
        assert not torch.allclose(color(xo, feat, PerFrame(st.app, [50]), facing), rgb)  # the normal matters
        assert torch.equal(color(xo, feat, PerFrame(st.app, [50])), color(xo, feat, PerFrame(st.app, [50]), facing))
