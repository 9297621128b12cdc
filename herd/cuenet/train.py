"""Training the cue network on its synthetic training set (:mod:`herd.cuenet.dataset`).

Losses, per sample:

- joints: the Gaussian negative log-likelihood of the true joints under each predicted position
  and standard deviation, summed over joints, for the true labelling and for its left-right
  mirror (every left joint taken for its right twin), keeping the smaller: a silhouette cannot
  tell the two apart when the body may face towards the camera or away from it;
- viewpoint: cross-entropy against a soft label over the bins, ``exp(-angle^2 / (2 * 15deg^2))``
  of each bin's rotation angle from the true rotation.

Augmentation: a horizontal flip of the input (flow x negated) with the labels mirrored (joints
``u -> 1 - u`` and left/right swapped, rotations ``R -> F R F``, ``F = diag(-1, 1, 1)``), and masks
grown or shrunk by a pixel (:func:`jitter_masks`). Every
tenth video is held out; the errors measured on them go into the weights' header, where
``herd preprocess`` reads the precision it states for the joints.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from herd.data.skeletons import BUILTIN
from herd.geometry.transforms import view_rotations
from herd.preprocess.cue_net import CueNet

VIEW_SIGMA_DEG = 15.0


def view_bins() -> np.ndarray:
    """``(V, 3, 3)`` camera-frame rotations of the viewpoint bins."""
    return view_rotations()


def view_angles(rot: np.ndarray) -> np.ndarray:
    """``(N, V)`` angle (degrees) from each of ``(N, 3, 3)`` rotations to each bin."""
    bins = view_bins()
    tr = np.einsum("vij,nij->nv", bins, rot)
    return np.degrees(np.arccos(np.clip((tr - 1) / 2, -1, 1)))


def soft_view_labels(rot: np.ndarray) -> np.ndarray:
    """``(N, V)`` soft labels of the viewpoint bins for ``(N, 3, 3)`` true rotations."""
    w = np.exp(-0.5 * (view_angles(rot) / VIEW_SIGMA_DEG) ** 2)
    return (w / w.sum(1, keepdims=True)).astype(np.float32)


def flip(x: torch.Tensor, joints: torch.Tensor, rot: torch.Tensor, symmetry: torch.Tensor):
    """The horizontal mirror of a batch: input flipped (flow x negated), labels mirrored."""
    x = x.flip(-1).clone()
    x[:, 1] = -x[:, 1]
    x[:, 3] = -x[:, 3]
    j = joints[:, symmetry].clone()
    j[..., 0] = 1 - j[..., 0]
    F = torch.diag(torch.tensor([-1.0, 1.0, 1.0]))
    return x, j, F @ rot @ F


def jitter_masks(x: torch.Tensor, gen: torch.Generator, chance: float = 0.5) -> torch.Tensor:
    """A segmenter's imprecision on a batch of inputs: with ``chance`` each, the mask grown or shrunk
    by one input pixel (a 3x3 dilation or erosion), the flow kept inside the new mask."""
    x = x.clone()
    m = x[:, :1]
    grow = torch.nn.functional.max_pool2d(m, 3, 1, 1)
    shrink = -torch.nn.functional.max_pool2d(-m, 3, 1, 1)
    r = torch.rand(len(x), generator=gen)
    new = torch.where(
        (r < chance / 2)[:, None, None, None], grow, torch.where((r > 1 - chance / 2)[:, None, None, None], shrink, m)
    )
    x[:, :1] = new
    x[:, 1:] = x[:, 1:] * (new > 0.5)
    return x


def joint_nll(
    pred: torch.Tensor,
    log_sigma: torch.Tensor,
    true: torch.Tensor,
    symmetry: torch.Tensor,
    spread: torch.Tensor | None = None,
) -> torch.Tensor:
    """``(B,)`` the smaller over the two labellings (as is, left-right mirrored) of the summed 2D
    Gaussian negative log-likelihood of ``true (B, J, 2)`` under ``pred (B, J, 2)``, ``log_sigma (B, J)``.
    With the heatmaps' ``spread (B, J)`` (:meth:`CueNet.forward`), the likelihood is averaged over
    each heatmap's cells rather than taken at its mean: a heatmap spread over two candidate
    places costs as much as its mean being off by as much, so the heatmaps learn to commit."""

    def nll(t):
        d2 = ((pred - t) ** 2).sum(-1) + (0 if spread is None else spread)
        return (0.5 * d2 * torch.exp(-2 * log_sigma) + 2 * log_sigma).sum(-1)

    return torch.minimum(nll(true), nll(true[:, symmetry]))


def mirror_min_error(pred: np.ndarray, true: np.ndarray, symmetry: np.ndarray) -> np.ndarray:
    """``(N, J)`` joint errors under the better of the two labellings of each sample (by mean)."""
    a = np.linalg.norm(pred - true, axis=-1)
    b = np.linalg.norm(pred - true[:, symmetry], axis=-1)
    return np.where((a.mean(1) <= b.mean(1))[:, None], a, b)


def evaluate(net: CueNet, x: np.ndarray, joints: np.ndarray, rot: np.ndarray, symmetry: np.ndarray) -> dict:
    """Errors on held-out samples: joints (crop units, mirror-min), the predicted sigma's
    calibration, and the viewpoint's angle error and flip rate."""
    from herd.preprocess.cue_net import predict

    out = predict(net, x.astype(np.float32))
    err = mirror_min_error(out["joints"], joints, symmetry)
    angles = view_angles(rot)  # (N, V)
    pick = out["view_logp"].argmax(1)
    view_err = angles[np.arange(len(pick)), pick] - angles.min(1)
    return {
        "joint_error_median": float(np.median(err)),
        "joint_error_rms": float(np.sqrt((err**2).mean())),
        "joint_error_median_per_joint": np.median(err, 0).round(4).tolist(),
        "sigma_median": float(np.median(out["sigma"])),
        "sigma_calibration": float(np.median(err / (out["sigma"] * np.sqrt(2)))),
        "view_error_median_deg": float(np.median(view_err)),
        "view_flip_rate": float((view_err > 90).mean()),
        "view_within_30deg": float((view_err <= 30).mean()),
    }


def load_shards(data: Path | Sequence[Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``x, joints, rot, video`` of one or more ``train.npz`` shards, concatenated, the video
    indices counted on across shards (so every tenth video of each shard of 300 is held out)."""
    paths = [Path(data)] if isinstance(data, (str, Path)) else [Path(d) for d in data]
    parts: list[list[np.ndarray]] = [[], [], [], []]
    offset = 0
    for path in paths:
        with np.load(path, allow_pickle=False) as z:
            for part, key in zip(parts, ("x", "joints", "rot", "video")):
                part.append(z[key] + offset if key == "video" else z[key])
        offset = int(parts[3][-1].max()) + 1
    x, joints, rot, video = (np.concatenate(p) for p in parts)
    return x, joints, rot, video


def train_cue_net(
    data: Path | Sequence[Path],
    category: str,
    epochs: int = 30,
    batch: int = 64,
    lr: float = 2e-3,
    width: int = 16,
    seed: int = 0,
    progress: bool = True,
    commit: bool = False,
) -> tuple[CueNet, dict]:
    """Train on ``data`` (one ``train.npz`` or several shards, :func:`load_shards`); returns the
    network (eval mode) and its measured errors. ``commit``: the joints' loss counts the heatmaps'
    spread (:func:`joint_nll`)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    x, joints, rot, video = load_shards(data)
    skel = BUILTIN[category]
    symmetry = torch.as_tensor(skel.symmetry)
    held = video % 10 == 9
    tr = np.nonzero(~held)[0]
    labels = soft_view_labels(rot)
    net = CueNet(skel.num_joints, labels.shape[1], width)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * math.ceil(len(tr) / batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    t0 = time.perf_counter()
    bar = tqdm(total=steps, desc="cue-net", unit="step", disable=not progress, dynamic_ncols=True)
    for _ in range(epochs):
        net.train()
        for idx in np.array_split(rng.permutation(tr), math.ceil(len(tr) / batch)):
            xb = torch.from_numpy(x[idx].astype(np.float32))
            jb, rb = torch.from_numpy(joints[idx]), torch.from_numpy(rot[idx])
            fl = torch.from_numpy(rng.random(len(idx)) < 0.5)
            if fl.any():
                fx, fj, fr = flip(xb[fl], jb[fl], rb[fl], symmetry)
                xb, jb, rb = xb.clone(), jb.clone(), rb.clone()
                xb[fl], jb[fl], rb[fl] = fx, fj, fr
            xb = jitter_masks(xb, gen)
            yb = torch.from_numpy(soft_view_labels(rb.numpy()))
            pj, ls, vl, *sp = net(xb, spread=commit)
            loss = (
                joint_nll(pj, ls, jb, symmetry, sp[0] if commit else None).mean() / skel.num_joints
                - (yb * torch.log_softmax(vl, -1)).sum(-1).mean()
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            bar.update()
            bar.set_postfix(loss=f"{float(loss.detach()):.3f}")
    bar.close()
    net.eval()
    metrics = evaluate(net, x[held], joints[held], rot[held], skel.symmetry)
    metrics.update(
        {
            "train_seconds": round(time.perf_counter() - t0, 1),
            "train_samples": len(tr),
            "heldout_samples": int(held.sum()),
            "epochs": epochs,
        }
    )
    return net, metrics
