"""The typical body of each built-in skeleton, as tapered capsules along its bones.

Data about a category, not about an individual: the synthetic generator draws individuals around it
(thicker, longer, larger), and ``--init_pose search`` matches its silhouette against masks. Bones
run parent -> child; radii are in metres for the skeleton's rest pose.
"""

from __future__ import annotations

import numpy as np

from herd.geometry.skeleton import Skeleton

# Capsule radii (start, end) along each bone, keyed by the base name of the bone's child joint
# (``fl_elbow`` -> ``elbow``). Missing entries get ``DEFAULT_RADIUS``.
RADII = {
    "human": {
        "spine": (0.13, 0.14),
        "chest": (0.14, 0.15),
        "neck": (0.12, 0.06),
        "head": (0.06, 0.08),
        "shoulder": (0.08, 0.06),
        "elbow": (0.055, 0.045),
        "hand": (0.045, 0.035),
        "hip": (0.11, 0.085),
        "knee": (0.08, 0.055),
        "ankle": (0.055, 0.042),
        "foot": (0.042, 0.035),
    },
    "quad": {
        "spine1": (0.13, 0.13),
        "spine2": (0.13, 0.135),
        "chest": (0.135, 0.14),
        "neck": (0.10, 0.075),
        "head": (0.075, 0.075),
        "shoulder": (0.08, 0.06),
        "elbow": (0.055, 0.042),
        "wrist": (0.04, 0.03),
        "paw": (0.03, 0.032),
        "hip": (0.085, 0.07),
        "knee": (0.065, 0.045),
        "ankle": (0.042, 0.03),
        "tail1": (0.045, 0.04),
        "tail2": (0.04, 0.03),
        "tail3": (0.03, 0.02),
    },
}
DEFAULT_RADIUS = (0.05, 0.04)

# Extra segments from a leaf joint (hands, head, paws, tail tip) along a fixed object-space
# offset, rigidly attached to that joint: (offset, start radius, end radius).
TIPS = {
    "human": {
        "head": ((0.0, 0.13, 0.02), 0.10, 0.09),
        "hand": ((0.09, 0.0, 0.0), 0.04, 0.03),
        "foot": ((0.0, 0.0, 0.04), 0.035, 0.03),
    },
    "quad": {
        "head": ((0.0, -0.04, 0.17), 0.075, 0.035),
        "paw": ((0.0, 0.0, 0.05), 0.032, 0.028),
        "tail3": ((0.0, -0.03, -0.12), 0.02, 0.012),
    },
}


def base_name(name: str) -> str:
    """A joint name without its side prefix (``l_``, ``r_``, ``fl_``, ``fr_``, ``bl_``, ``br_``)."""
    for pre in ("l_", "r_", "fl_", "fr_", "bl_", "br_"):
        if name.startswith(pre):
            return name[len(pre) :]
    return name


def body_segments(
    skeleton: Skeleton, rest: np.ndarray, thickness: np.ndarray | None = None, tip_scale: np.ndarray | None = None
) -> list[tuple]:
    """Capsule segments ``(a (3,), b (3,), radius_a, radius_b, joint)`` of a body on ``rest (J, 3)``
    joints (object space, metres): one per bone, attached to its parent joint's frame, and one tip
    segment per leaf joint that has one, attached to the leaf.

    Args:
        thickness: ``(J-1,)`` factor on each bone's radii (1 for the typical body).
        tip_scale: ``(J-1,)`` factor on each tip segment's offset (1 for the typical body).
    """
    radii = RADII.get(skeleton.name, {})
    tips = TIPS.get(skeleton.name, {})
    B = skeleton.num_joints - 1
    thickness = np.ones(B) if thickness is None else thickness
    tip_scale = np.ones(B) if tip_scale is None else tip_scale
    segs = []
    for b, c in enumerate(skeleton.bone_children):
        p = skeleton.parents[c]
        ra, rb = radii.get(base_name(skeleton.joint_names[c]), DEFAULT_RADIUS)
        segs.append((rest[p], rest[c], ra * thickness[b], rb * thickness[b], p))
        tip = tips.get(base_name(skeleton.joint_names[c]))
        if tip is not None and not skeleton.children(c):
            off = np.array(tip[0]) * tip_scale[b]
            if skeleton.joint_names[c].startswith("r_"):
                off[0] = -off[0]
            segs.append((rest[c], rest[c] + off, tip[1] * thickness[b], tip[2] * thickness[b], c))
    return segs


def segment_distance(
    points: np.ndarray, a: np.ndarray, b: np.ndarray, ra: float, rb: float
) -> tuple[np.ndarray, np.ndarray]:
    """Signed distance ``(N,)`` of ``(N, 3)`` points to a tapered capsule (radius linear along the
    axis from ``ra`` at ``a`` to ``rb`` at ``b``) and the plain distance ``(N,)`` to its axis."""
    ab = b - a
    t = np.clip(((points - a) @ ab) / max(ab @ ab, 1e-12), 0.0, 1.0)
    d = np.linalg.norm(points - (a + t[:, None] * ab), axis=1)
    return d - (ra + (rb - ra) * t), d


def inside_body(points: np.ndarray, segments: list[tuple]) -> np.ndarray:
    """``(N,)`` bool: the points inside the union of the segments' capsules."""
    return np.min([segment_distance(points, *s[:4])[0] for s in segments], axis=0) < 0
