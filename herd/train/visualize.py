"""Per-round visualisations as GLB: bones (joints and bones of the canonical skeleton) and the proxy
(proxy mesh plus camera frusta of the frames)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from herd.atomic import atomic_file
from herd.export.bones import bones_mesh
from herd.render.occupancy import Proxy, proxy_mesh


def frustum(cam2obj: np.ndarray, size: float) -> trimesh.Trimesh:
    """A small pyramid showing a camera (apex at the centre, opening along +z)."""
    apex = np.zeros(3)
    base = np.array([[-1, -1, 2], [1, -1, 2], [1, 1, 2], [-1, 1, 2]], float) * size / 2
    v = np.concatenate([[apex], base])
    f = np.array([[0, 2, 1], [0, 3, 2], [0, 4, 3], [0, 1, 4], [1, 2, 3], [1, 3, 4]])
    v = v @ cam2obj[:3, :3].T + cam2obj[:3, 3]
    m = trimesh.Trimesh(v, f, process=False)
    assert isinstance(m.visual, trimesh.visual.ColorVisuals)  # what a Trimesh made without one holds
    m.visual.vertex_colors = [60, 120, 230, 255]
    return m


def write_round_glbs(
    run_dir: Path,
    round_idx: int,
    proxy: Proxy,
    joints: np.ndarray | None,
    parents: np.ndarray | None,
    obj2cam: np.ndarray,
    extent: float,
) -> None:
    """Write ``NNN-bones.glb`` (skeletons only) and ``NNN-proxy.glb``; at most 200 camera frusta."""
    if joints is not None:
        assert parents is not None  # given with the joints
        _write_glb(trimesh.Scene(bones_mesh(joints, parents, 0.02 * extent)), run_dir / f"{round_idx:03d}-bones.glb")
    v, f = proxy_mesh(proxy)
    parts = []
    if len(f):
        m = trimesh.Trimesh(v, f, process=False)
        assert isinstance(m.visual, trimesh.visual.ColorVisuals)  # what a Trimesh made without one holds
        m.visual.vertex_colors = [180, 180, 180, 255]
        parts.append(m)
    idx = np.linspace(0, len(obj2cam) - 1, min(200, len(obj2cam))).astype(int)
    for i in idx:
        parts.append(frustum(np.linalg.inv(obj2cam[i]), 0.1 * extent))
    _write_glb(trimesh.Scene(trimesh.util.concatenate(parts)), run_dir / f"{round_idx:03d}-proxy.glb")


def _write_glb(scene: trimesh.Scene, path: Path) -> None:
    """Atomically: a kill mid-write leaves the previous round's files and no torn one."""
    with atomic_file(path) as tmp:
        scene.export(tmp, file_type="glb")
