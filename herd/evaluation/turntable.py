"""Whole from every side: a frozen-time turntable of an individual and the floaters in it.

A reference-view IoU says nothing about the sides a video never saw; a model can explain every
training silhouette with fragments that only line up from the training cameras. The turntable
turns the object (time held at one frame) about its up axis, and in each view the share of
rendered opacity that lies outside the largest connected blob measures what floats apart from the
body (:func:`floater_share`). Works for real videos, which have no other 3D measure.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

from herd.export.sequence import sequence_states
from herd.render.frames import render_frame, to_uint8
from herd.render.viewpoints import Viewpoint
from herd.run.loaded_run import LoadedRun

#: opacity above which a pixel belongs to a blob
SUPPORT = 0.1


def floater_share(opacity: np.ndarray, support: float = SUPPORT) -> float:
    """Share of the total opacity of an ``(H, W)`` render outside its largest connected blob
    (8-connected pixels of opacity above ``support``); 0 for an empty render."""
    total = float(opacity.sum())
    if total <= 0:
        return 0.0
    labels, n = ndimage.label(opacity > support, structure=np.ones((3, 3)))
    if n == 0:
        return 1.0
    sums = ndimage.sum(opacity, labels, index=np.arange(1, n + 1))
    return float(1.0 - sums.max() / total)


@torch.no_grad()
def turntable(run: LoadedRun, video: int, frame: int, views: int = 12, res: int = 128, elevation: float = 10.0) -> dict:
    """Render video ``video`` at its frame ``frame`` (0-based within the video) from ``views``
    cameras evenly around it.

    Returns ``{"floaters": (views,) share per view, "rgb": (views, res, res, 3) uint8,
    "normal": (views, res, res, 3) uint8}``.
    """
    g = int(run.cache.video_frames(video)[frame])
    st = sequence_states(run, np.full(views, g), Viewpoint("rot", elevation, 360), res, freeze=0)
    m = run.model
    center = m.center.cpu().numpy()
    share, rgb, normal = [], [], []
    for i in range(views):
        img = render_frame(m, st.select(slice(i, i + 1)), res, run.proxy, run.rcfg)
        share.append(floater_share(img["mask"]))
        rgb.append(to_uint8("rgb", img["rgb"], img["mask"]))
        normal.append(to_uint8("normal", img["normal"], img["mask"], center=center, extent=float(m.extent)))
    return {"floaters": np.array(share), "rgb": np.stack(rgb), "normal": np.stack(normal)}


def contact_sheet(rows: list[np.ndarray]) -> np.ndarray:
    """Rows of ``(N, H, W, 3)`` uint8 pictures side by side, rows stacked: one image."""
    return np.concatenate([np.concatenate(list(r), axis=1) for r in rows], axis=0)
