"""Rendering whole frames of a trained model for viewing: rgb, silhouette, depth, normals and
canonical coordinates, at any resolution and from any camera."""

from __future__ import annotations

import numpy as np
import torch

from herd.model.model import FrameState, HerdModel
from herd.render.occupancy import Proxy
from herd.render.renderer import RenderConfig, render_image

CHANNELS = ("rgb", "mask", "depth", "normal", "xyz")


def normals_from_depth(depth: np.ndarray, intrinsics: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Camera-space unit normals ``(H, W, 3)`` (OpenCV, pointing towards the camera) from a
    ``(H, W)`` depth map (camera z) and ``(4,)`` fx, fy, cx, cy; zero outside ``mask``.

    The back-projected points' image-space derivatives span the tangent plane; their cross product
    is the normal. Central differences, so edges of the mask are smoothed over one pixel."""
    H, W = depth.shape
    fx, fy, cx, cy = intrinsics
    u, v = np.meshgrid(np.arange(W), np.arange(H))  # pixel centres at integers
    pts = np.stack([(u - cx) / fx * depth, (v - cy) / fy * depth, depth], -1)
    du = np.gradient(pts, axis=1)
    dv = np.gradient(pts, axis=0)
    n = np.cross(dv, du)
    n /= np.linalg.norm(n, axis=-1, keepdims=True).clip(1e-12)
    n[n[..., 2] > 0] *= -1  # face the camera
    return np.where(mask[..., None], n, 0.0)


@torch.no_grad()
def render_frame(
    model: HerdModel, st: FrameState, res: int, proxy: Proxy, cfg: RenderConfig, surface: bool = True
) -> dict[str, np.ndarray]:
    """Render one frame (``st`` of a single frame, intrinsics at ``res``).

    Returns float32 NumPy arrays: ``rgb (res, res, 3)`` in [0, 1], ``mask (res, res)`` opacity,
    ``depth (res, res)`` camera z of the surface (the SDF's zero crossing; model units, 0 where
    empty), ``normal (res, res, 3)`` unit camera-space normals from the SDF's gradient (zero where
    empty), ``xyz (res, res, 3)`` canonical coordinates, and ``depth_volume (res, res)`` the
    volume-rendered depth (what training sees). Without ``surface`` (when only masks and colour
    are needed) depth and normals come from the volume-rendered depth image."""
    img = render_image(model, st, res, res, proxy, cfg, surface=surface)
    out = {k: v.float().cpu().numpy() for k, v in img.items()}
    alpha = out.pop("opacity")
    fg = alpha > 0.5
    depth_volume = np.where(fg, out["depth"] / np.maximum(alpha, 1e-6), 0.0).astype(np.float32)
    if surface:
        depth = np.where(fg & np.isfinite(out["surface_depth"]), out["surface_depth"], depth_volume)
        normal = np.where(fg[..., None], out["normal"], 0.0)
    else:
        depth, normal = depth_volume, normals_from_depth(depth_volume, st.intrinsics[0].cpu().numpy(), fg)
    return {
        "rgb": np.clip(out["rgb"], 0, 1),
        "mask": alpha,
        "depth": depth.astype(np.float32),
        "normal": normal.astype(np.float32),
        "xyz": out["xyz"] / np.maximum(alpha, 1e-6)[..., None],
        "depth_volume": depth_volume,
    }


def to_uint8(
    channel: str,
    value: np.ndarray,
    mask: np.ndarray,
    depth_range: tuple[float, float] | None = None,
    center: np.ndarray | None = None,
    extent: float = 1.0,
) -> np.ndarray:
    """A rendered channel as an ``(H, W, 3)`` uint8 picture on white.

    rgb as is; mask as grey levels; depth as a colour map over ``depth_range`` (near is warm);
    normals as ``(x, -y, -z) / 2 + 1/2`` (the usual normal-map colours); canonical xyz mapped from
    ``center +- extent`` to [0, 1] per axis."""
    import cv2

    fg = mask > 0.5
    if channel == "rgb":
        pic = value * mask[..., None] + (1 - mask[..., None])
    elif channel == "mask":
        pic = np.repeat(value[..., None], 3, -1)
    elif channel == "depth":
        lo, hi = (
            depth_range
            if depth_range
            else (float(value[fg].min()) if fg.any() else 0.0, float(value[fg].max()) if fg.any() else 1.0)
        )
        d = 1 - np.clip((value - lo) / max(hi - lo, 1e-6), 0, 1)
        pic = cv2.applyColorMap((d * 255).astype(np.uint8), cv2.COLORMAP_INFERNO)[..., ::-1] / 255.0
        pic = np.where(fg[..., None], pic, 1.0)
    elif channel == "normal":
        pic = np.where(fg[..., None], value * np.array([1, -1, -1]) / 2 + 0.5, 1.0)
    elif channel == "xyz":
        c = np.zeros(3) if center is None else center
        pic = np.where(fg[..., None], np.clip((value - c) / (2 * extent) + 0.5, 0, 1), 1.0)
    else:
        raise ValueError(f"unknown channel {channel}")
    return (np.clip(pic, 0, 1) * 255 + 0.5).astype(np.uint8)
