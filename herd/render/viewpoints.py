"""Virtual cameras for rendering a trained model: the reference cameras, a turntable
(``rot-<elevation>-<max_angle>``) and a bird's-eye view (``bev-<elevation>``).

All poses are object-to-camera ``(4, 4)`` in the model's object space, OpenCV camera (x right,
y down, z forward). Virtual cameras start from a reference camera and move around the object's
centre: the object turns about its own up axis (+y of object space) by the turntable angle, then
the camera rises by the elevation (a rotation about the camera's x axis through the centre), so
the object stays where the reference camera saw it and at the same distance.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from herd.errors import HerdInputError
from herd.geometry.transforms import rot_x, rot_y

_PATTERNS = {
    "ref": re.compile(r"^ref$"),
    "rot": re.compile(r"^rot-(-?\d+(?:\.\d+)?)-(-?\d+(?:\.\d+)?)$"),
    "bev": re.compile(r"^bev-(-?\d+(?:\.\d+)?)$"),
}


@dataclasses.dataclass(frozen=True)
class Viewpoint:
    """A parsed ``--viewpoint``.

    Attributes:
        kind: ``ref``, ``rot`` or ``bev``.
        elevation: degrees the camera rises above the reference camera (bev, rot).
        max_angle: degrees the turntable turns over the sequence (rot).
    """

    kind: str
    elevation: float = 0.0
    max_angle: float = 0.0

    @property
    def name(self) -> str:
        if self.kind == "ref":
            return "ref"
        if self.kind == "bev":
            return f"bev-{self.elevation:g}"
        return f"rot-{self.elevation:g}-{self.max_angle:g}"


def parse_viewpoint(text: str) -> Viewpoint:
    """``ref``, ``rot-<elevation>-<max_angle>`` or ``bev-<elevation>`` (degrees)."""
    for kind, pat in _PATTERNS.items():
        m = pat.match(text)
        if m:
            if kind == "rot":
                return Viewpoint("rot", float(m.group(1)), float(m.group(2)))
            if kind == "bev":
                return Viewpoint("bev", float(m.group(1)))
            return Viewpoint("ref")
    raise HerdInputError(
        f"--viewpoint {text}: unknown; use ref, rot-<elevation>-<max_angle> (e.g. rot-0-360) "
        f"or bev-<elevation> (e.g. bev-90)"
    )


def orbit(ref_obj2cam: np.ndarray, center: np.ndarray, azimuth: float, elevation: float) -> np.ndarray:
    """A camera moved around ``center`` (``(3,)`` object space): the object turns by ``azimuth``
    degrees about its +y axis, the camera rises by ``elevation`` degrees. Returns ``(4, 4)``
    obj2cam; ``center`` keeps its place in the image."""
    R, t = ref_obj2cam[:3, :3], ref_obj2cam[:3, 3]
    c_cam = R @ center + t
    R_new = rot_x(elevation) @ R @ rot_y(azimuth)
    out = np.eye(4)
    out[:3, :3] = R_new
    out[:3, 3] = c_cam - R_new @ center
    return out


def camera_path(vp: Viewpoint, ref_obj2cam: np.ndarray, center: np.ndarray, freeze: int | None = None) -> np.ndarray:
    """Cameras of a rendered sequence.

    Args:
        vp: the viewpoint.
        ref_obj2cam: ``(N, 4, 4)`` reference cameras of the N frames rendered.
        center: ``(3,)`` object-space point the virtual camera circles (the object's centre).
        freeze: with time frozen, the index of the frame whose reference camera anchors the orbit.
    Returns:
        ``(N, 4, 4)`` obj2cam. For ``rot`` the angle runs from 0 to ``max_angle`` over the N frames
        (for 360 the last frame stops one step short of the first).
    """
    N = len(ref_obj2cam)
    if vp.kind == "ref":
        return ref_obj2cam.copy()
    anchor = [ref_obj2cam[freeze]] * N if freeze is not None else list(ref_obj2cam)
    if vp.kind == "bev":
        return np.stack([orbit(a, center, 0.0, vp.elevation) for a in anchor])
    full = abs(vp.max_angle) % 360 == 0
    angles = np.linspace(0, vp.max_angle, N, endpoint=not full) if N > 1 else np.zeros(1)
    return np.stack([orbit(a, center, float(ang), vp.elevation) for a, ang in zip(anchor, angles)])
