"""Optical flow with OpenCV's DIS, forward and backward, with a forward-backward consistency
confidence, in the dataset's pixels."""

from __future__ import annotations

import cv2
import numpy as np


def dis_flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(H, W, 2)`` float32 flow from RGB frame ``a`` to ``b`` (pixels, x then y)."""
    dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    ga, gb = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), cv2.cvtColor(b, cv2.COLOR_RGB2GRAY)
    return dis.calc(ga, gb, None)  # type: ignore[call-overload]  # OpenCV allocates a None flow; its stub wants one


def warp(field: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample ``(H, W, C)`` ``field`` at ``x + flow(x)`` (bilinear, border replicate)."""
    H, W = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(W, dtype=np.float32), np.arange(H, dtype=np.float32))
    return cv2.remap(field, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def consistency(fw: np.ndarray, bw: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """``(H, W)`` confidence of ``fw`` in [0, 1]: ``exp(-|fw(x) + bw(x + fw(x))|^2 / (2 sigma^2 (1 + 0.01 |fw|^2)))``,
    low where the backward flow does not bring the pixel back (occlusions, errors); zero where
    the target leaves the image."""
    H, W = fw.shape[:2]
    back = warp(bw, fw)
    err = ((fw + back) ** 2).sum(-1)
    scale = 2 * sigma**2 * (1 + 0.01 * (fw**2).sum(-1))
    conf = np.exp(-err / scale)
    xs, ys = np.meshgrid(np.arange(W), np.arange(H))
    tx, ty = xs + fw[..., 0], ys + fw[..., 1]
    conf[(tx < 0) | (tx > W - 1) | (ty < 0) | (ty > H - 1)] = 0
    return conf.astype(np.float32)


def flow_pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward ``(H, W, 3)`` and backward ``(H, W, 3)`` flow (dx, dy, confidence) between two frames."""
    fw, bw = dis_flow(a, b), dis_flow(b, a)
    return (
        np.concatenate([fw, consistency(fw, bw)[..., None]], -1),
        np.concatenate([bw, consistency(bw, fw)[..., None]], -1),
    )
