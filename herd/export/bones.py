"""A skeleton as a mesh: joints as spheres, bones as cylinders (the per-round ``NNN-bones.glb`` of a
training and the bones in an export)."""

from __future__ import annotations

from typing import cast

import numpy as np
import trimesh


def bones_mesh(joints: np.ndarray, parents: np.ndarray, radius: float) -> trimesh.Trimesh:
    """``(J, 3)`` joints and parents to spheres (joints) and cylinders (bones), one coloured mesh."""
    parts = []
    for j, p in enumerate(parents):
        s = trimesh.creation.icosphere(subdivisions=1, radius=radius)
        s.apply_translation(joints[j])
        s.visual.vertex_colors = [230, 80, 60, 255]
        parts.append(s)
        if p >= 0 and np.linalg.norm(joints[j] - joints[p]) > 1e-6:
            c = trimesh.creation.cylinder(radius=radius * 0.5, segment=[joints[p], joints[j]], sections=8)
            c.visual.vertex_colors = [240, 200, 80, 255]
            parts.append(c)
    return cast(trimesh.Trimesh, trimesh.util.concatenate(parts))  # Trimeshes concatenate to one
