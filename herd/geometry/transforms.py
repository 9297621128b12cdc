"""Rigid transforms and rotations in NumPy (float64). Quaternions are (x, y, z, w).

Transforms are ``(..., 4, 4)`` homogeneous matrices named ``a2b``: ``x_b = a2b @ x_a``.
"""

from __future__ import annotations

import numpy as np


def axis_angle_to_matrix(rotvec: np.ndarray) -> np.ndarray:
    """Rodrigues' formula: ``(..., 3)`` rotation vectors (radians) to ``(..., 3, 3)`` matrices."""
    rotvec = np.asarray(rotvec, dtype=np.float64)
    theta = np.linalg.norm(rotvec, axis=-1, keepdims=True)
    small = theta < 1e-12
    axis = rotvec / np.where(small, 1.0, theta)
    x, y, z = axis[..., 0], axis[..., 1], axis[..., 2]
    zero = np.zeros_like(x)
    Kx = np.stack([np.stack([zero, -z, y], -1), np.stack([z, zero, -x], -1), np.stack([-y, x, zero], -1)], -2)
    s = np.sin(theta)[..., None]
    c = np.cos(theta)[..., None]
    eye = np.broadcast_to(np.eye(3), Kx.shape)
    R = eye + s * Kx + (1.0 - c) * (Kx @ Kx)
    return np.where(small[..., None], eye, R)


def euler_xyz_to_matrix(angles: np.ndarray) -> np.ndarray:
    """``(..., 3)`` angles (radians) about x, then y, then z (extrinsic): ``Rz @ Ry @ Rx``."""
    a = np.asarray(angles, dtype=np.float64)
    e = np.eye(3)
    Rx = axis_angle_to_matrix(a[..., 0:1] * e[0])
    Ry = axis_angle_to_matrix(a[..., 1:2] * e[1])
    Rz = axis_angle_to_matrix(a[..., 2:3] * e[2])
    return Rz @ Ry @ Rx


def make_transform(R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``(..., 4, 4)`` from ``(..., 3, 3)`` rotation and ``(..., 3)`` translation."""
    R = np.asarray(R, dtype=np.float64)
    T = np.zeros(R.shape[:-2] + (4, 4))
    T[..., :3, :3] = R
    T[..., :3, 3] = t
    T[..., 3, 3] = 1.0
    return T


def invert_transform(T: np.ndarray) -> np.ndarray:
    """Inverse of rigid ``(..., 4, 4)`` transforms."""
    R = T[..., :3, :3]
    t = T[..., :3, 3]
    Rt = np.swapaxes(R, -1, -2)
    return make_transform(Rt, -np.einsum("...ij,...j->...i", Rt, t))


def apply_transform(T: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply ``(4, 4)`` to ``(N, 3)`` points (or ``(..., 4, 4)`` to ``(..., N, 3)``)."""
    return np.einsum("...ij,...nj->...ni", T[..., :3, :3], points) + T[..., None, :3, 3]


def look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray | None = None) -> np.ndarray:
    """``(4, 4)`` world2cam of an OpenCV camera at ``eye`` looking at ``target``; world ``up``
    (default +y) is up (so image y points down)."""
    up = np.array([0.0, 1.0, 0.0]) if up is None else up
    fwd = target - eye
    fwd = fwd / np.linalg.norm(fwd)
    right = np.cross(fwd, up)
    right = right / np.linalg.norm(right)
    down = np.cross(fwd, right)
    cam2world = make_transform(np.stack([right, down, fwd], axis=1), eye)
    return invert_transform(cam2world)


def random_rotation_noise(rng: np.random.Generator, rms_deg: float, size: int) -> np.ndarray:
    """``(size, 3, 3)`` random rotations whose angle has root-mean-square ``rms_deg``."""
    rv = rng.normal(0.0, np.deg2rad(rms_deg) / np.sqrt(3.0), size=(size, 3))
    return axis_angle_to_matrix(rv)


def rotation_angle_deg(R: np.ndarray) -> np.ndarray:
    """Angle in degrees of ``(..., 3, 3)`` rotations."""
    c = (np.trace(R, axis1=-2, axis2=-1) - 1.0) / 2.0
    return np.rad2deg(np.arccos(np.clip(c, -1.0, 1.0)))


def smooth_poses(obj2cam: np.ndarray, groups: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing in time of ``(F, 4, 4)`` rigid poses, within each group (video).

    Rotations are averaged as sign-aligned quaternions (normalised weighted mean, accurate for the
    small spreads of neighbouring frames); translations are kept, since they come from the
    object's image position and size, which are not noisy the way a viewpoint estimate is (and
    a hand-held camera's shake moves them quickly). ``sigma`` is in frames; 0 returns the poses
    unchanged. Used to remove the independent per-frame noise of initial rotations from a
    viewpoint network before a smooth correction is learned on top.
    """
    from scipy.spatial.transform import Rotation

    if sigma <= 0:
        return obj2cam.copy()
    out = obj2cam.copy()
    for g in np.unique(groups):
        idx = np.nonzero(groups == g)[0]
        q = Rotation.from_matrix(obj2cam[idx, :3, :3]).as_quat()  # (n, 4) x, y, z, w
        n = len(idx)
        r = int(np.ceil(3 * sigma))
        for i in range(n):
            js = np.arange(max(0, i - r), min(n, i + r + 1))
            w = np.exp(-0.5 * ((js - i) / sigma) ** 2)
            qs = q[js] * np.sign(q[js] @ q[i])[:, None]
            qm = (w[:, None] * qs).sum(0)
            out[idx[i], :3, :3] = Rotation.from_quat(qm / np.linalg.norm(qm)).as_matrix()
    return out


#: the object-to-camera rotation of an upright object seen from its left side (OpenCV camera):
#: object +z (forward) to image right, +y (up) to image up, +x (its left) away from the camera
UPRIGHT_SIDE_VIEW = np.array([[0.0, 0.0, 1.0], [0.0, -1.0, 0.0], [1.0, 0.0, 0.0]])
#: the viewpoint bins of the orientation search and the cue network: the object turned about its up
#: axis (yaw), and the camera raised above it (elevation, looking down), in degrees
VIEW_YAWS = tuple(range(0, 360, 15))
VIEW_ELEVATIONS = (-15, 0, 15, 30, 45)


def rot_x(deg: float) -> np.ndarray:
    """``(3, 3)`` rotation by ``deg`` degrees about +x."""
    a = np.radians(deg)
    return np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])


def rot_y(deg: float) -> np.ndarray:
    """``(3, 3)`` rotation by ``deg`` degrees about +y."""
    a = np.radians(deg)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])


def view_rotations(base: np.ndarray = UPRIGHT_SIDE_VIEW, yaws=VIEW_YAWS, elevations=VIEW_ELEVATIONS) -> np.ndarray:
    """``(len(yaws) * len(elevations), 3, 3)`` object-to-camera rotations around ``base`` (OpenCV): the
    object turned by ``yaw`` about its +y axis, the camera raised by ``elevation`` about its own x
    axis (``Rx(elevation) @ base @ Ry(yaw)``, degrees). Yaw-major: bin ``k`` is yaw
    ``k // len(elevations)``, elevation ``k % len(elevations)``. Around the upright side view these
    are the viewpoints of a camera circling an upright object at a height (within 10 degrees of every
    camera of ``herd synth``'s quadruped videos, against 31 for object pitches instead)."""
    return np.stack([rot_x(e) @ base @ rot_y(y) for y in yaws for e in elevations])
