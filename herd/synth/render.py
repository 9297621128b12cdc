"""Shade a rasterised body: albedo times a directional light, over a plain background."""

from __future__ import annotations

import numpy as np

from herd.geometry.raster import Raster, rasterize, vertex_normals


def render_body(
    body, verts_cam: np.ndarray, intrinsics: np.ndarray, res: int, light_cam: np.ndarray, background: np.ndarray
) -> tuple[np.ndarray, Raster]:
    """Render a posed body.

    Args:
        body: a :class:`herd.synth.types.Body` (for faces and albedo).
        verts_cam: ``(V, 3)`` posed vertices in camera space (OpenCV).
        intrinsics: ``(4,)`` fx, fy, cx, cy.
        res: square image size.
        light_cam: ``(3,)`` unit direction towards the light, camera space.
        background: ``(3,)`` RGB in [0, 1].
    Returns:
        ``(res, res, 3)`` uint8 RGB and the :class:`Raster`.
    """
    r = rasterize(verts_cam, body.faces, intrinsics, res, res)
    img = np.broadcast_to(background, (res, res, 3)).copy()
    m = r.mask
    if m.any():
        n = r.interpolate(body.faces, vertex_normals(verts_cam, body.faces))
        n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-9)
        shade = 0.4 + 0.6 * np.clip(n @ light_cam, 0.0, 1.0)
        img[m] = body.albedo(r.face_id[m], r.bary[m]) * shade[:, None]
    return np.round(np.clip(img, 0, 1) * 255).astype(np.uint8), r
