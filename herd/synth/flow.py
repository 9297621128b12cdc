"""Exact optical flow from surface correspondence between two rendered frames."""

from __future__ import annotations

import numpy as np

from herd.geometry.raster import Raster, project


def exact_flow(
    src: Raster,
    faces: np.ndarray,
    verts_dst_cam: np.ndarray,
    dst: Raster,
    intrinsics_dst: np.ndarray,
    depth_tol: float = 0.015,
) -> np.ndarray:
    """Flow from a source frame to a destination frame of the same mesh.

    Each covered source pixel's surface point (face, barycentrics) is moved to its position in
    the destination frame and projected there.

    Args:
        src: raster of the source frame.
        faces: ``(T, 3)`` triangles shared by both frames.
        verts_dst_cam: ``(V, 3)`` vertices at the destination frame, destination camera space.
        dst: raster of the destination frame (for the visibility test).
        intrinsics_dst: ``(4,)`` destination camera.
        depth_tol: relative depth tolerance of the visibility test.
    Returns:
        ``(H, W, 3)`` float32: dx, dy in pixels and a confidence, 1 where the point is visible in
        the destination frame, 0 where it is occluded, leaves the image, or on the background.
    """
    H, W = src.face_id.shape
    out = np.zeros((H, W, 3), dtype=np.float32)
    m = src.mask
    if not m.any():
        return out
    ys, xs = np.nonzero(m)
    p = src.interpolate(faces, verts_dst_cam)  # (N, 3) destination camera space
    uv = project(p, intrinsics_dst)
    out[ys, xs, 0] = uv[:, 0] - xs
    out[ys, xs, 1] = uv[:, 1] - ys
    ui, vi = np.round(uv[:, 0]).astype(np.int64), np.round(uv[:, 1]).astype(np.int64)
    inside = (ui >= 0) & (ui < W) & (vi >= 0) & (vi < H) & (p[:, 2] > 0)
    visible = np.zeros(len(ys), dtype=bool)
    zi = dst.depth[vi[inside], ui[inside]]
    visible[inside] = (zi > 0) & (np.abs(zi - p[inside, 2]) < depth_tol * p[inside, 2])
    out[ys, xs, 2] = visible
    return out
