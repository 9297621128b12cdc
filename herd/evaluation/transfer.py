"""Motion transfer against synthetic ground truth: the model's re-animation of A's motion on B's
body, from the model's cameras of video A, against ``herd synth``'s render of body B doing A's
motion from A's true cameras.

Each video fixes its individual only up to its own monocular scale (a large animal far away looks
like a small one close by), so how large B is next to A is not in the videos. The ground truth
knows it; the model cannot. Before comparing, B is therefore brought to the size the truth has in
A's camera: resized by ``s_A / s_B`` (the two videos' model-to-true scales,
:func:`herd.evaluation.masks.model_to_true_scale`) about its object origin, the point A's motion
carries in both the model and the synthetic target. Measured with and without it in
docs/evaluation.md."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from herd.evaluation.images import psnr
from herd.evaluation.masks import intrinsics_at, iou, model_to_true_scale
from herd.evaluation.truth import RunTruth
from herd.export.sequence import sequence_states
from herd.model.model import FrameState
from herd.render.frames import render_frame
from herd.render.viewpoints import Viewpoint
from herd.run.loaded_run import LoadedRun


@torch.no_grad()
def transfer_states(
    run: LoadedRun, truth: RunTruth, pair: dict, res: int, stride: int = 1, match_scale: bool = True
) -> FrameState:
    """States of every ``stride``-th frame of A's motion on B's body from the model's cameras of A
    seen through A's true camera (:meth:`herd.evaluation.truth.VideoTruth.to_true_camera`, the
    true intrinsics at ``res``). ``pair``: ``{"name", "motion": A, "body": B}`` with run video
    indices (:meth:`RunTruth.transfer_pairs`). ``match_scale``: resize B by the ratio of the two
    videos' monocular scales (module docstring)."""
    a, b = pair["motion"], pair["body"]
    ta = truth.videos[a]
    frames = run.cache.video_frames(a)[::stride]
    st = sequence_states(run, frames, Viewpoint("ref"), res, body=b)
    st.obj2cam = torch.tensor(
        ta.to_true_camera(st.obj2cam.cpu().numpy()), dtype=torch.float32, device=st.obj2cam.device
    )
    K = np.stack([intrinsics_at(k, ta.size, res) for k in ta.intrinsics[::stride]])
    st.intrinsics = torch.tensor(K, dtype=torch.float32, device=st.obj2cam.device)
    if match_scale:
        s_a, s_b = (model_to_true_scale(run.model, run.cache, truth.videos[v], run.proxy, run.rcfg, v) for v in (a, b))
        # resizing by k about the object origin t projects like moving the origin to t / k
        st.obj2cam[:, :3, 3] /= s_a / s_b
    return st


@torch.no_grad()
def transfer_scores(
    run: LoadedRun, truth: RunTruth, pair: dict, stride: int = 1, match_scale: bool = True
) -> dict[str, np.ndarray]:
    """``{"mask_iou": (n,), "psnr": (n,)}`` over every ``stride``-th frame of A of a transfer pair
    (:meth:`RunTruth.transfer_pairs`), against the true render of B doing A's motion at the same
    frames; whole frames at the training resolution, as the held-out views. PSNR is over the true
    mask's pixels."""
    view = truth.gt.transfer(pair["name"])
    ta = truth.videos[pair["motion"]]
    res = run.cache.res
    st = transfer_states(run, truth, pair, res, stride, match_scale)
    ious, psnrs = [], []
    for k, g in enumerate(ta.frames[::stride]):
        img = render_frame(run.model, st.select(slice(k, k + 1)), res, run.proxy, run.rcfg, surface=False)
        true_mask = cv2.resize(view.mask(int(g)).astype(np.float32), (res, res), interpolation=cv2.INTER_AREA) > 0.5
        true_rgb = cv2.resize(view.image(int(g)), (res, res), interpolation=cv2.INTER_AREA) / 255.0
        ious.append(iou(img["mask"] > 0.5, true_mask))
        rgb = img["rgb"] * img["mask"][..., None] + (1 - img["mask"][..., None])
        psnrs.append(psnr(rgb, true_rgb, true_mask))
    return {"mask_iou": np.array(ious), "psnr": np.array(psnrs)}
