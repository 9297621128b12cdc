"""Virtual cameras and depth normals: parsing, orbits that keep the object in place, a tilted plane."""

import numpy as np
import pytest

from herd.errors import HerdInputError
from herd.render.frames import normals_from_depth
from herd.render.viewpoints import Viewpoint, camera_path, orbit, parse_viewpoint


def test_viewpoint_strings():
    assert parse_viewpoint("ref") == Viewpoint("ref")
    assert parse_viewpoint("rot-30-360") == Viewpoint("rot", 30.0, 360.0)
    assert parse_viewpoint("bev-90") == Viewpoint("bev", 90.0)
    assert parse_viewpoint("rot--10-180").elevation == -10
    assert parse_viewpoint("rot-30-360").name == "rot-30-360"
    for bad in ("side", "rot-30", "bev", "rot-a-b", "ref-1"):
        with pytest.raises(HerdInputError, match="--viewpoint"):
            parse_viewpoint(bad)


def _pose(seed=0):
    from scipy.spatial.transform import Rotation

    T = np.eye(4)
    T[:3, :3] = Rotation.random(random_state=seed).as_matrix()
    T[:3, 3] = [0.1, -0.2, 3.0]
    return T


def test_orbit_keeps_the_centre_in_place_and_the_distance():
    T, c = _pose(), np.array([0.05, 0.3, -0.1])
    for az, el in [(90, 0), (45, 30), (180, -20)]:
        P = orbit(T, c, az, el)
        assert np.allclose(P[:3, :3] @ c + P[:3, 3], T[:3, :3] @ c + T[:3, 3])
        cam_T, cam_O = -T[:3, :3].T @ T[:3, 3], -P[:3, :3].T @ P[:3, 3]
        assert np.isclose(np.linalg.norm(cam_O - c), np.linalg.norm(cam_T - c))
        assert np.allclose(P[:3, :3] @ P[:3, :3].T, np.eye(3))
    # a quarter turn moves the camera a quarter of the way round the object's up axis
    P = orbit(T, c, 90, 0)
    v0, v1 = -T[:3, :3].T @ T[:3, 3] - c, -P[:3, :3].T @ P[:3, 3] - c
    v0[1] = v1[1] = 0
    assert np.isclose(np.degrees(np.arccos(v0 @ v1 / np.linalg.norm(v0) / np.linalg.norm(v1))), 90, atol=1e-6)


def test_turntable_steps_evenly_and_stops_short_of_a_full_turn():
    T = np.stack([_pose()] * 8)
    cams = camera_path(Viewpoint("rot", 0, 360), T, np.zeros(3), freeze=0)
    steps = [
        np.degrees(np.arccos(np.clip((np.trace(cams[i + 1, :3, :3] @ cams[i, :3, :3].T) - 1) / 2, -1, 1)))
        for i in range(7)
    ]
    assert np.allclose(steps, 45.0, atol=1e-5)
    assert np.allclose(camera_path(Viewpoint("ref"), T, np.zeros(3)), T)
    bev = camera_path(Viewpoint("bev", 90), T, np.zeros(3))
    # from straight above, the camera looks along what the reference camera saw as down (+y, OpenCV)
    assert np.allclose(bev[0, :3, :3].T @ [0, 0, 1], T[0, :3, :3].T @ [0, 1, 0], atol=1e-6)


def test_normals_of_a_tilted_plane():
    H = W = 32
    K = np.array([40.0, 40.0, 15.5, 15.5])
    u, _ = np.meshgrid(np.arange(W), np.arange(H))
    # plane z = 2 + 0.5 x: along the ray x = (u - cx) / fx * z, so z = 2 / (1 - 0.5 (u - cx) / fx)
    z = 2.0 / (1 - 0.5 * (u - K[2]) / K[0])
    n = normals_from_depth(z, K, np.ones((H, W), bool))
    expect = np.array([0.5, 0, -1]) / np.linalg.norm([0.5, 0, -1])
    assert np.allclose(n[4:-4, 4:-4], expect, atol=1e-6)
    assert np.all(normals_from_depth(z, K, np.zeros((H, W), bool)) == 0)
