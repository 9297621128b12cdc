import numpy as np
import trimesh

from herd.geometry.raster import project, rasterize
from herd.geometry.transforms import apply_transform, look_at


def test_sphere_silhouette_area_and_depth():
    m = trimesh.creation.icosphere(subdivisions=5, radius=0.5)
    eye = np.array([0.0, 0.0, 3.0])
    vc = apply_transform(look_at(eye, np.zeros(3)), m.vertices)
    K = np.array([100.0, 100.0, 63.5, 63.5])
    r = rasterize(vc, m.faces, K, 128, 128)
    # analytic silhouette: a disc of radius f * r / sqrt(d^2 - r^2)
    R = 100.0 * 0.5 / np.sqrt(3.0**2 - 0.25)
    assert abs(r.mask.sum() - np.pi * R * R) / (np.pi * R * R) < 0.02
    # the centre pixel sees the front of the sphere at depth d - r
    assert abs(r.depth[64, 64] - 2.5) < 2e-3
    assert r.depth[~r.mask].max() == 0


def test_plane_barycentrics_interpolate_positions_exactly():
    # one tilted triangle; interpolated camera points must project back onto their pixels
    v = np.array([[-1.0, -1.0, 3.0], [1.5, -0.5, 4.0], [0.0, 1.2, 2.5]])
    f = np.array([[0, 1, 2]])
    K = np.array([50.0, 50.0, 31.5, 31.5])
    r = rasterize(v, f, K, 64, 64)
    assert r.mask.sum() > 200
    p = r.interpolate(f, v)
    ys, xs = np.nonzero(r.mask)
    np.testing.assert_allclose(project(p, K), np.stack([xs, ys], 1), atol=1e-6)
    np.testing.assert_allclose(r.bary.sum(-1)[r.mask], 1.0, atol=1e-9)


def test_nearer_triangle_wins():
    f = np.array([[0, 1, 2], [3, 4, 5]])
    far = np.array([[-1, -1, 5.0], [1, -1, 5.0], [0, 1, 5.0]])
    near = far.copy()
    near[:, 2] = 3.0
    r = rasterize(np.concatenate([far, near]), f, np.array([40.0, 40, 15.5, 15.5]), 32, 32)
    assert set(np.unique(r.face_id[r.mask])) == {1}
