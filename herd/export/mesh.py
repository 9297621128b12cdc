"""Meshes of a trained model: an individual's canonical mesh (marching cubes of its SDF, optionally
decimated to a face budget), its colours, normals and skinning weights from the fields, and the
mesh posed in every frame."""

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
        normals: ``(V, 3)`` float32 unit outward normals, the SDF's gradient at the vertices.
    """

    verts: np.ndarray
    faces: np.ndarray
    colors: np.ndarray
    weights: np.ndarray | None
    video: int
    normals: np.ndarray | None = None

    def trimesh(self, verts: np.ndarray | None = None, normals: np.ndarray | None = None) -> trimesh.Trimesh:
        """The mesh with its vertex colours and normals (or other ``(V, 3)`` positions and normals,
        for a posed copy)."""
        normals = self.normals if normals is None else normals
        m = trimesh.Trimesh(self.verts if verts is None else verts, self.faces, process=False, vertex_normals=normals)
        assert isinstance(m.visual, trimesh.visual.ColorVisuals)  # what a Trimesh made without one holds
        m.visual.vertex_colors = np.concatenate(
            [(self.colors * 255).round(), np.full((len(self.verts), 1), 255)], 1
        ).astype(np.uint8)
        return m


def _chunks(x: torch.Tensor, size: int = 65536):
    return torch.split(x, size)


def field_normals(model: HerdModel, xc: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
    """``(N, 3)`` unit gradients of the canonical SDF at ``(N, 3)`` canonical points (``code``
    ``(1, C)``): outward normals in canonical space."""
    out = []
    for chunk in _chunks(xc):
        with torch.enable_grad():
            p = chunk.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(model.sdf(p, code.expand(len(p), -1)).sum(), p)
        out.append(g / g.norm(dim=-1, keepdim=True).clamp(min=1e-12))
    return torch.cat(out)


@torch.no_grad()
def extract_canonical_mesh(model: HerdModel, video: int, grid_size: int = 128, max_faces: int = 0) -> CanonicalMesh:
    """Marching cubes of video ``video``'s individual at ``grid_size`` cells per side over the
    canonical box (centre +- 1.25 extent), keeping the largest connected component, decimated to
    at most ``max_faces`` faces (quadric error, 0: keep all); then colours, normals and skinning
    weights evaluated from the fields at the final vertices."""
    from skimage.measure import marching_cubes

    from herd.render.sdf_grid import sdf_grid

    dev = model.center.device
    code = model.video_code(torch.tensor([video], device=dev))
    lo = (model.center - 1.25 * model.extent).cpu().numpy()
    step = 2.5 * model.extent / (grid_size - 1)
    sdf, _ = sdf_grid(lambda p: model.sdf(p.to(dev), code.expand(len(p), -1)), lo, step, grid_size)
    if not (sdf.min() < 0 < sdf.max()):
        raise HerdInputError(
            "the model has no surface inside its bounds (SDF never crosses zero); train the run longer"
        )
    v, f, _, _ = marching_cubes(sdf, level=0.0, spacing=(step, step, step))
    v = v + lo  # skimage winds faces counter-clockwise seen from the positive (outer) side
    mesh = trimesh.Trimesh(v, f, process=True)
    parts = mesh.split(only_watertight=False)
    if len(parts) > 1:
        mesh = max(parts, key=lambda m: len(m.faces))
    if 0 < max_faces < len(mesh.faces):
        mesh = decimate(mesh, max_faces)
    verts = torch.tensor(np.asarray(mesh.vertices), dtype=torch.float32, device=dev)
    normals = field_normals(model, verts, code)
    app = model.app_codes[video][None]
    rgb = torch.cat(
        [model.shade(p, code.expand(len(p), -1), app.expand(len(p), -1))[1].float() for p in _chunks(verts)]
    )
    weights: np.ndarray | None = None
    if model.bones is not None:
        w = torch.cat([model.bones.canonical_weights(p, code.expand(len(p), -1)).float() for p in _chunks(verts)])
        weights = w.cpu().numpy()
    return CanonicalMesh(
        verts.cpu().numpy(),
        np.asarray(mesh.faces, dtype=np.int64),
        rgb.clamp(0, 1).cpu().numpy(),
        weights,
        video,
        normals.cpu().numpy(),
    )


def decimate(mesh: trimesh.Trimesh, max_faces: int) -> trimesh.Trimesh:
    """Quadric-error decimation (fast-simplification, through trimesh) to at most ``max_faces``
    faces, winding kept."""
    out = mesh.simplify_quadric_decimation(face_count=max_faces)
    if len(out.faces) > max_faces:  # the library stops near the target; take a little more off
        out = out.simplify_quadric_decimation(face_count=int(max_faces * 0.98))
    out.remove_unreferenced_vertices()
    return out


@torch.no_grad()
def posed_normals(model: HerdModel, posed: np.ndarray, st: FrameState) -> np.ndarray:
    """``(V, 3)`` unit camera-space normals of a mesh posed in the single frame of ``st`` (``posed``
    ``(V, 3)`` in posed object space): the gradient of the posed SDF, as renders show them."""
    from herd.render.surface import camera_normals

    x = torch.tensor(posed, dtype=torch.float32, device=model.center.device)
    return torch.cat([camera_normals(model, st, p, [len(p)]) for p in _chunks(x)]).cpu().numpy()


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
