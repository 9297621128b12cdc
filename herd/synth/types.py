"""What the generator needs from a body and a motion, whatever made them (procedural or glTF)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from herd.geometry.skeleton import Skeleton


class Motion(Protocol):
    """One video's motion.

    Attributes:
        num_frames: ``F``.
        obj2world: ``(F, 4, 4)`` object-space to world-space transform per frame (world: +y up,
            ground at y = 0).
        name: a short description (``"walk+turn"``) kept in the ground truth.
    """

    num_frames: int
    obj2world: np.ndarray
    name: str


class Body(Protocol):
    """One individual: a closed, skinned surface in object space (+y up, +z forward, metres).

    Attributes:
        skeleton: the skeleton with this individual's own rest joints.
        faces: ``(T, 3)`` int triangle indices.
        rest_verts: ``(V, 3)`` rest-pose vertices in object space.
        params: JSON-able morphology parameters for the ground truth (size, bone scales, ...).
    """

    skeleton: Skeleton
    faces: np.ndarray
    rest_verts: np.ndarray
    params: dict

    def pose(self, motion: Motion, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Posed ``(V, 3)`` vertices and ``(J, 3)`` joints at frame ``t``, in object space."""
        ...

    def albedo(self, face_ids: np.ndarray, bary: np.ndarray) -> np.ndarray:
        """``(N, 3)`` float colours in [0, 1] of the surface points ``(N,)`` faces, ``(N, 3)`` barycentrics."""
        ...

    def bone_lengths(self) -> np.ndarray:
        """``(B,)`` this individual's bone lengths in metres (bone b ends at joint b + 1)."""
        ...
