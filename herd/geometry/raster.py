"""A vectorised triangle rasteriser in NumPy: face ids, barycentrics and depth per pixel.

It needs no system libraries and gives what an OpenGL colour buffer does not: the face and
perspective-correct barycentrics under every pixel, from which exact optical flow, canonical
coordinates and textures follow. Pixel centres are at integer coordinates (OpenCV): pixel
``(row i, col j)`` sees the ray through ``(x=j, y=i)``.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass
class Raster:
    """Per-pixel visibility of a mesh.

    Attributes:
        face_id: ``(H, W)`` int64 visible triangle, ``-1`` on the background.
        bary: ``(H, W, 3)`` float64 perspective-correct barycentric weights of its vertices.
        depth: ``(H, W)`` float64 camera z of the visible surface, 0 on the background.
    """

    face_id: np.ndarray
    bary: np.ndarray
    depth: np.ndarray

    @property
    def mask(self) -> np.ndarray:
        """``(H, W)`` bool, True where the mesh covers the pixel."""
        return self.face_id >= 0

    def interpolate(self, faces: np.ndarray, attr: np.ndarray) -> np.ndarray:
        """Interpolate a per-vertex ``(V, C)`` attribute at the covered pixels: ``(N, C)``,
        in row-major order of ``np.nonzero(self.mask)``."""
        m = self.mask
        f = faces[self.face_id[m]]
        return np.einsum("nk,nkc->nc", self.bary[m], attr[f])


def project(points_cam: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """Pinhole projection.

    Args:
        points_cam: ``(..., 3)`` points in camera space (OpenCV: x right, y down, z forward).
        intrinsics: ``(4,)`` fx, fy, cx, cy in pixels.
    Returns:
        ``(..., 2)`` pixel coordinates (x, y).
    """
    fx, fy, cx, cy = intrinsics
    z = points_cam[..., 2]
    return np.stack([fx * points_cam[..., 0] / z + cx, fy * points_cam[..., 1] / z + cy], axis=-1)


def scale_intrinsics(intrinsics: np.ndarray, sx: float, sy: float) -> np.ndarray:
    """Intrinsics ``(..., 4)`` of an image resized by ``sx, sy``, with pixel centres at integers:
    ``x_new = (x + 0.5) * s - 0.5``."""
    K = np.asarray(intrinsics, dtype=np.float64)
    return np.stack([K[..., 0] * sx, K[..., 1] * sy, (K[..., 2] + 0.5) * sx - 0.5, (K[..., 3] + 0.5) * sy - 0.5], -1)


def rasterize(
    verts_cam: np.ndarray, faces: np.ndarray, intrinsics: np.ndarray, height: int, width: int, near: float = 1e-3
) -> Raster:
    """Rasterise a triangle mesh with a z-buffer.

    Args:
        verts_cam: ``(V, 3)`` vertices in camera space (OpenCV).
        faces: ``(T, 3)`` vertex indices.
        intrinsics: ``(4,)`` fx, fy, cx, cy in pixels.
        height, width: image size ``H, W``.
        near: triangles with a vertex closer than this are dropped.
    Returns:
        A :class:`Raster`.
    """
    H, W = height, width
    face_id = np.full((H, W), -1, dtype=np.int64)
    bary = np.zeros((H, W, 3))
    depth = np.zeros((H, W))
    z = verts_cam[:, 2]
    keep = np.all(z[faces] > near, axis=1)
    fids = np.nonzero(keep)[0]
    if len(fids) == 0:
        return Raster(face_id, bary, depth)
    uv = project(verts_cam, intrinsics)
    tri = uv[faces[fids]]  # (T, 3, 2)
    lo = np.ceil(tri.min(axis=1)).astype(np.int64)
    hi = np.floor(tri.max(axis=1)).astype(np.int64)
    lo = np.maximum(lo, 0)
    hi[:, 0] = np.minimum(hi[:, 0], W - 1)
    hi[:, 1] = np.minimum(hi[:, 1], H - 1)
    bw = np.maximum(hi[:, 0] - lo[:, 0] + 1, 0)
    bh = np.maximum(hi[:, 1] - lo[:, 1] + 1, 0)
    count = bw * bh
    vis = count > 0
    fids, tri, lo, bw, count = fids[vis], tri[vis], lo[vis], bw[vis], count[vis]
    if len(fids) == 0:
        return Raster(face_id, bary, depth)
    # one candidate per (triangle, pixel in its bounding box)
    owner = np.repeat(np.arange(len(fids)), count)
    start = np.cumsum(count) - count
    local = np.arange(owner.shape[0]) - start[owner]
    px = lo[owner, 0] + local % bw[owner]
    py = lo[owner, 1] + local // bw[owner]
    a, b, c = tri[owner, 0], tri[owner, 1], tri[owner, 2]
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    ok = np.abs(area) > 1e-12
    inv_area = np.where(ok, 1.0 / np.where(ok, area, 1.0), 0.0)
    # screen-space barycentrics from edge functions
    l0 = ((b[:, 0] - px) * (c[:, 1] - py) - (b[:, 1] - py) * (c[:, 0] - px)) * inv_area
    l1 = ((c[:, 0] - px) * (a[:, 1] - py) - (c[:, 1] - py) * (a[:, 0] - px)) * inv_area
    l2 = 1.0 - l0 - l1
    eps = -1e-9
    inside = ok & (l0 >= eps) & (l1 >= eps) & (l2 >= eps)
    owner, px, py = owner[inside], px[inside], py[inside]
    lam = np.stack([l0[inside], l1[inside], l2[inside]], axis=1)
    zf = z[faces[fids[owner]]]  # (N, 3)
    w = lam / zf
    inv_z = w.sum(axis=1)
    pb = w / inv_z[:, None]  # perspective-correct barycentrics
    zz = 1.0 / inv_z
    pix = py * W + px
    order = np.lexsort((zz, pix))
    pix_sorted = pix[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = pix_sorted[1:] != pix_sorted[:-1]
    win = order[first]
    flat = pix[win]
    face_id.reshape(-1)[flat] = fids[owner[win]]
    bary.reshape(-1, 3)[flat] = pb[win]
    depth.reshape(-1)[flat] = zz[win]
    return Raster(face_id, bary, depth)


def vertex_normals(verts: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """``(V, 3)`` unit area-weighted vertex normals of a mesh with outward-facing triangles."""
    tri = verts[faces]
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    vn = np.zeros_like(verts)
    for k in range(3):
        np.add.at(vn, faces[:, k], fn)
    return vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)
