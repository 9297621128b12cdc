"""Meshes of a trained model: an individual's canonical mesh (marching cubes of its SDF), its
colours and skinning weights, and the mesh posed in every frame."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
import trimesh

from herd.errors import HerdInputError
from herd.model.model import FrameState, HerdModel


@dataclasses.dataclass
class CanonicalMesh:
    """An individual's mesh in canonical space (the category's rest pose, model units ~ metres).

    Attributes:
        verts: ``(V, 3)`` float32; faces: ``(F, 3)`` int64, counter-clockwise seen from outside.
        colors: ``(V, 3)`` float32 RGB in [0, 1] from the colour field.
        weights: ``(V, J)`` float32 skinning weights (rows sum to 1), or None without a skeleton.
        video: the video whose individual this is.
    """

    verts: np.ndarray
    faces: np.ndarray
    colors: np.ndarray
    weights: np.ndarray | None
    video: int

    def trimesh(self) -> trimesh.Trimesh:
        m = trimesh.Trimesh(self.verts, self.faces, process=False)
        m.visual.vertex_colors = np.concatenate([(self.colors * 255).round(), np.full((len(self.verts), 1), 255)], 1).astype(np.uint8)
        return m


def _chunks(x: torch.Tensor, size: int = 65536):
    return torch.split(x, size)


@torch.no_grad()
def extract_canonical_mesh(model: HerdModel, video: int, grid_size: int = 128) -> CanonicalMesh:
    """Marching cubes of video ``video``'s individual at ``grid_size`` cells per side over the
    canonical box (centre +- 1.25 extent), keeping the largest connected component."""
    from skimage.measure import marching_cubes

    dev = model.center.device
    code = model.video_code(torch.tensor([video], device=dev))
    lo = (model.center - 1.25 * model.extent).cpu().numpy()
    step = 2.5 * model.extent / (grid_size - 1)
    axes = [torch.linspace(float(lo[i]), float(lo[i]) + step * (grid_size - 1), grid_size) for i in range(3)]
    pts = torch.stack(torch.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3).to(dev)
    sdf = torch.cat([model.sdf(p, code.expand(len(p), -1)).float() for p in _chunks(pts)])
    sdf = sdf.reshape(grid_size, grid_size, grid_size).cpu().numpy()
    if not (sdf.min() < 0 < sdf.max()):
        raise HerdInputError("the model has no surface inside its bounds (SDF never crosses zero); train the run longer")
    v, f, _, _ = marching_cubes(sdf, level=0.0, spacing=(step, step, step))
    v = v + lo  # skimage winds faces counter-clockwise seen from the positive (outer) side
    mesh = trimesh.Trimesh(v, f, process=True)
    parts = mesh.split(only_watertight=False)
    if len(parts) > 1:
        mesh = max(parts, key=lambda m: len(m.faces))
    verts = torch.tensor(np.asarray(mesh.vertices), dtype=torch.float32, device=dev)
    app = model.app_codes[video][None]
    rgb = torch.cat([model.shade(p, code.expand(len(p), -1), app.expand(len(p), -1))[1].float() for p in _chunks(verts)])
    weights = None
    if model.bones is not None:
        weights = torch.cat([model.bones.canonical_weights(p, code.expand(len(p), -1)).float() for p in _chunks(verts)])
        weights = weights.cpu().numpy()
    return CanonicalMesh(verts.cpu().numpy(), np.asarray(mesh.faces, dtype=np.int64),
                         rgb.clamp(0, 1).cpu().numpy(), weights, video)


@torch.no_grad()
def posed_vertices(model: HerdModel, mesh: CanonicalMesh, st: FrameState, to_camera: bool = True) -> np.ndarray:
    """``(K, V, 3)`` the canonical mesh posed in each of the ``K`` frames of ``st`` (skeleton and
    soft deformation), in camera space (OpenCV) or, with ``to_camera=False``, posed object space."""
    dev = model.center.device
    xc = torch.tensor(mesh.verts, dtype=torch.float32, device=dev)
    out = []
    for k in range(st.frames.shape[0]):
        s = st.select(slice(k, k + 1))
        x = model.to_posed(xc, [len(xc)], s)
        if to_camera:
            T = s.obj2cam[0]
            x = x @ T[:3, :3].T + T[:3, 3]
        out.append(x.float().cpu().numpy())
    return np.stack(out)
