"""Motion transfer against synthetic ground truth: the model's re-animation of A's motion on B's
body, from the model's cameras of video A, against ``herd synth``'s render of body B doing A's
motion from A's true cameras."""

from __future__ import annotations

import numpy as np
import torch

from herd.data.ground_truth import GroundTruth
from herd.evaluation.images import psnr
from herd.evaluation.masks import iou
from herd.export.sequence import sequence_states
from herd.render.frames import render_frame
from herd.render.viewpoints import Viewpoint
from herd.train.loaded_run import LoadedRun


@torch.no_grad()
def transfer_scores(run: LoadedRun, gt: GroundTruth, pair: dict, stride: int = 1) -> dict[str, np.ndarray]:
    """``{"mask_iou": (n,), "psnr": (n,)}`` over every ``stride``-th frame of a transfer pair
    (``{"name", "motion", "body"}`` with video names). PSNR is over the true mask's pixels."""
    names = run.video_names
    a, b = names.index(pair["motion"]), names.index(pair["body"])
    view = gt.transfer(pair["name"])
    frames = run.cache.video_frames(a)[::stride]
    H, W = view.mask(0).shape
    res = max(H, W)
    st = sequence_states(run, frames, Viewpoint("ref"), res, body=b)
    ious, psnrs = [], []
    for k, i in enumerate(range(0, len(view), stride)):
        img = render_frame(run.model, st.select(slice(k, k + 1)), res, run.proxy, run.rcfg)
        true_mask = view.mask(i)
        pred_mask = img["mask"][:H, :W] > 0.5
        ious.append(iou(pred_mask, true_mask))
        rgb = img["rgb"][:H, :W] * img["mask"][:H, :W, None] + (1 - img["mask"][:H, :W, None])
        psnrs.append(psnr(rgb, view.image(i) / 255.0, true_mask))
    return {"mask_iou": np.array(ious), "psnr": np.array(psnrs)}
