"""Square crops that follow the object, and the intrinsics of the cropped frames.

Pixel centres are at integer coordinates (OpenCV). A crop is ``(x0, y0, side)`` in raw pixels,
edge-based: raw point ``x`` maps to ``(x + 0.5 - x0) * res / side - 0.5`` in the ``res`` x ``res``
crop.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d


def raw_intrinsics(width: int, height: int, focal: float | None = None) -> np.ndarray:
    """``(4,)`` fx, fy, cx, cy of a raw frame: focal length ``focal`` or the larger image side."""
    f = float(focal or max(width, height))
    return np.array([f, f, (width - 1) / 2, (height - 1) / 2])


def object_crops(masks: np.ndarray, margin: float = 0.2, smooth: float = 2.0) -> np.ndarray:
    """``(F, 3)`` crops x0, y0, side around each frame's mask (square, ``margin`` of the box on each
    side), smoothed over time (Gaussian, ``smooth`` frames); frames without the object take the
    neighbours' crops (the whole frame if no frame has it)."""
    F, H, W = masks.shape
    boxes = np.full((F, 3), np.nan)
    for i, m in enumerate(masks):
        ys, xs = np.nonzero(m)
        if len(xs):
            cx, cy = (xs.min() + xs.max() + 1) / 2, (ys.min() + ys.max() + 1) / 2
            side = max(xs.max() - xs.min() + 1, ys.max() - ys.min() + 1) * (1 + 2 * margin)
            boxes[i] = [cx, cy, max(side, 16)]
    have = ~np.isnan(boxes[:, 0])
    if not have.any():
        boxes[:] = [W / 2, H / 2, max(W, H)]
    else:
        t = np.arange(F)
        for k in range(3):
            boxes[:, k] = np.interp(t, t[have], boxes[have, k])
    if smooth > 0 and F > 1:
        boxes = gaussian_filter1d(boxes, smooth, axis=0, mode="nearest")
    return np.stack([boxes[:, 0] - boxes[:, 2] / 2, boxes[:, 1] - boxes[:, 2] / 2, boxes[:, 2]], 1)


def crop_matrix(crop: np.ndarray, res: int) -> np.ndarray:
    """``(2, 3)`` affine from raw pixels to crop pixels."""
    x0, y0, side = crop
    k = res / side
    return np.array([[k, 0, (0.5 - x0) * k - 0.5], [0, k, (0.5 - y0) * k - 0.5]])


def crop_image(image: np.ndarray, crop: np.ndarray, res: int, is_mask: bool = False) -> np.ndarray:
    """Cut and resize one frame (edges replicated) or mask (outside is background)."""
    M = crop_matrix(crop, res)
    if is_mask:
        return (
            cv2.warpAffine(
                image.astype(np.uint8) * 255,
                M,
                (res, res),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=0,
            )
            > 127
        )
    return cv2.warpAffine(
        image,
        M,
        (res, res),
        flags=cv2.INTER_AREA if res < crop[2] else cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


def crop_intrinsics(K: np.ndarray, crop: np.ndarray, res: int) -> np.ndarray:
    """``(4,)`` intrinsics of the crop from the raw ``(4,)`` intrinsics."""
    M = crop_matrix(crop, res)
    k = M[0, 0]
    return np.array([K[0] * k, K[1] * k, K[2] * k + M[0, 2], K[3] * k + M[1, 2]])
