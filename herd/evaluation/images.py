"""Image metrics: mask IoU is in :mod:`herd.evaluation.masks`; here foreground PSNR."""

from __future__ import annotations

import numpy as np


def psnr(pred: np.ndarray, true: np.ndarray, mask: np.ndarray | None = None) -> float:
    """PSNR in dB of ``(H, W, 3)`` images in [0, 1] over the pixels of ``mask`` (all when None);
    ``inf`` for identical images, ``nan`` for an empty mask."""
    if mask is not None:
        if not mask.any():
            return float("nan")
        pred, true = pred[mask], true[mask]
    mse = float(np.mean((np.asarray(pred, np.float64) - np.asarray(true, np.float64)) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(1.0 / mse))
