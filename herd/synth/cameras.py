"""Cameras for synthetic videos: a hand-held orbit around the moving object, and held-out views.

World space: +y up, ground at y = 0. Cameras are OpenCV (x right, y down, z forward) and are
returned as ``world2cam`` ``(F, 4, 4)`` transforms with pinhole intrinsics ``(4,)`` fx, fy, cx, cy.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from herd.geometry.transforms import (
    apply_transform,
    axis_angle_to_matrix,
    look_at,
    make_transform,
)


@dataclasses.dataclass
class OrbitCamera:
    """A video's camera path, described by spherical coordinates around a target.

    Attributes:
        intrinsics: ``(4,)`` fx, fy, cx, cy in pixels.
        target: ``(F, 3)`` world point the camera looks at (the body centre, smoothed).
        azimuth, elevation, distance: ``(F,)`` radians, radians, metres.
        jitter: ``(F, 4, 4)`` hand-held shake applied in camera space.
    """

    intrinsics: np.ndarray
    target: np.ndarray
    azimuth: np.ndarray
    elevation: np.ndarray
    distance: np.ndarray
    jitter: np.ndarray

    def world2cam(self, azimuth_offset: float = 0.0, elevation_offset: float = 0.0, shake: bool = True) -> np.ndarray:
        """``(F, 4, 4)`` world2cam of this path, optionally turned by an azimuth/elevation offset
        (radians) about the target, as held-out cameras are."""
        az = self.azimuth + azimuth_offset
        el = np.clip(self.elevation + elevation_offset, np.deg2rad(-10), np.deg2rad(80))
        d = self.distance
        eye = self.target + d[:, None] * np.stack(
            [np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)], axis=1
        )
        w2c = np.stack([look_at(e, t) for e, t in zip(eye, self.target)])
        return self.jitter @ w2c if shake else w2c


def _smooth_noise(rng: np.random.Generator, t: np.ndarray, amp: float, size: int = 1) -> np.ndarray:
    """``(F, size)`` smooth random signal: sum of three sinusoids, RMS about ``amp``."""
    f = rng.uniform(0.3, 1.5, size=(3, size))
    ph = rng.uniform(0, 2 * np.pi, size=(3, size))
    return amp * np.sin(2 * np.pi * f[None] * t[:, None, None] + ph[None]).sum(1) / np.sqrt(1.5)


def make_orbit_camera(
    rng: np.random.Generator,
    res: int,
    centres_world: np.ndarray,
    radius: float,
    fps: float,
    elevation_range_deg: tuple[float, float] = (5.0, 35.0),
) -> OrbitCamera:
    """Draw a camera path for one video.

    Args:
        res: image size (square, ``res x res``).
        centres_world: ``(F, 3)`` body centre per frame in world space.
        radius: bounding radius of the body in metres, to frame it.
        fps: frame rate, for the speed of the shake.
    """
    F = len(centres_world)
    t = np.arange(F) / fps
    fov = np.deg2rad(rng.uniform(40.0, 50.0))
    f = (res / 2) / np.tan(fov / 2)
    K = np.array([f, f, (res - 1) / 2, (res - 1) / 2])
    fill = rng.uniform(0.95, 1.1)
    d0 = radius / np.sin(fill * fov / 2)
    sweep = rng.choice([-1, 1]) * np.deg2rad(rng.uniform(30, 120))
    az = rng.uniform(0, 2 * np.pi) + sweep * t / max(t[-1], 1e-6)
    el = np.deg2rad(rng.uniform(*elevation_range_deg)) + _smooth_noise(rng, t, np.deg2rad(3.0))[:, 0]
    dist = d0 * (1.0 + _smooth_noise(rng, t, 0.05)[:, 0])
    k = np.ones(5) / 5
    pad = np.pad(centres_world, ((2, 2), (0, 0)), mode="edge")
    target = np.stack([np.convolve(pad[:, i], k, mode="valid") for i in range(3)], axis=1)
    shake_r = axis_angle_to_matrix(_smooth_noise(rng, t, np.deg2rad(1.0), 3))
    shake_t = _smooth_noise(rng, t, 0.01 * d0, 3)
    return OrbitCamera(
        intrinsics=K, target=target, azimuth=az, elevation=el, distance=dist, jitter=make_transform(shake_r, shake_t)
    )


def body_centre_world(obj2world: np.ndarray, rest_verts: np.ndarray) -> tuple[np.ndarray, float]:
    """``(F, 3)`` world position of the rest mesh's bounding-box centre, and its bounding radius."""
    lo, hi = rest_verts.min(0), rest_verts.max(0)
    c = (lo + hi) / 2
    return apply_transform(obj2world, c[None])[:, 0], float(np.linalg.norm(hi - lo) / 2)
