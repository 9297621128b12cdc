"""Mask IoU of rendered silhouettes: the reference view against the input masks, and held-out
views against the synthetic ground truth rendered from other cameras."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from herd.data.ground_truth import GroundTruth
from herd.model.model import HerdModel
from herd.render.occupancy import Proxy
from herd.geometry.raster import scale_intrinsics
from herd.render.renderer import RenderConfig, render_mask


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boolean masks (1.0 when both are empty)."""
    u = (a | b).sum()
    return float((a & b).sum() / u) if u else 1.0


def reference_ious(model: HerdModel, cache, proxy: Proxy, rcfg: RenderConfig, frames=None) -> np.ndarray:
    """``(len(frames),)`` IoU of the rendered mask against the training mask of each global frame."""
    frames = range(cache.num_frames) if frames is None else frames
    return np.array([iou(render_mask(model, f, cache.res, proxy, rcfg), cache.mask[f] > 0) for f in frames])


@torch.no_grad()
def model_to_true_scale(model: HerdModel, cache, gt: GroundTruth, video_names: list[str]) -> float:
    """Ratio of the model's object-to-camera distances to the true ones (median over frames): the
    monocular scale ambiguity, fixed before moving a camera by a true offset."""
    dev = model.center.device
    frames = torch.arange(cache.num_frames, device=dev)
    pred = model.root_pose(frames).cpu().numpy()
    true = np.concatenate([gt.array(v, "obj2cam") for v in video_names])
    return float(np.median(np.linalg.norm(pred[:, :3, 3], axis=1) / np.linalg.norm(true[:, :3, 3], axis=1)))


@torch.no_grad()
def heldout_ious(model: HerdModel, cache, gt: GroundTruth, proxy: Proxy, rcfg: RenderConfig,
                 video_names: list[str], stride: int = 1) -> dict[str, np.ndarray]:
    """IoU of the held-out views per video: the model's frame is seen from the held-out camera,
    placed relative to the model's own reference camera as the true held-out camera is to the true
    reference camera (translation scaled by :func:`model_to_true_scale`)."""
    dev = model.center.device
    s = model_to_true_scale(model, cache, gt, video_names)
    out = {}
    for v, name in enumerate(video_names):
        frames = cache.video_frames(v)
        true = gt.array(name, "obj2cam")
        pred = model.root_pose(torch.tensor(frames, device=dev)).cpu().numpy()
        ious = []
        for view in gt.heldout(name):
            for i in range(0, len(frames), stride):
                cam2cam = view.obj2cam[i] @ np.linalg.inv(true[i])
                cam2cam[:3, 3] *= s
                m_true = view.mask(i)
                H, W = m_true.shape
                K = scale_intrinsics(view.intrinsics[i], cache.res / W, cache.res / H)
                pred_mask = render_mask(model, int(frames[i]), cache.res, proxy, rcfg,
                                        torch.tensor(cam2cam @ pred[i]), torch.tensor(K))
                m = cv2.resize(m_true.astype(np.float32), (cache.res, cache.res), interpolation=cv2.INTER_AREA) > 0.5
                ious.append(iou(pred_mask, m))
        out[name] = np.array(ious)
    return out
