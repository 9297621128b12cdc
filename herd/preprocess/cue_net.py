"""A small network that reads an object's silhouette and motion and guesses its 2D joints, with
their uncertainty, and its viewpoint. Trained by herd on its own synthetic renders
(``python -m herd.cuenet``), shipped inside the package, run on the CPU by ``herd preprocess`` for
categories no pretrained detector covers (animals): no download, no GPU.

**Input** (:func:`cue_features`): a crop around the object (``herd preprocess``'s square crops)
resized to ``INPUT`` x ``INPUT``: the mask, and the forward and backward optical flow to the
neighbouring frames inside the mask, in units of the crop size, less their median (the motion of
the object as a whole, which the crop and the camera add). Masks and flow are what a user's video
has; colour is left out because a synthetic body's colours are not an animal's.

**Output** (:meth:`CueNet.forward`):

- per joint of the category's skeleton, a heatmap at ``INPUT / 2`` whose mean (soft-argmax) is the
  joint's position in the crop, in [0, 1] units, and a log standard deviation of that position;
- logits over the viewpoint bins (:func:`herd.geometry.transforms.view_rotations`): how the object
  is turned relative to the camera.

A silhouette does not tell a left-right symmetric body's left limbs from its right ones when the
body may be turned towards the camera or away from it, so the joints are learned up to that
mirror (``herd.cuenet``'s loss takes the better of the two labellings), and training reads them
the same way (``video.json: keypoints_mirrored``).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

INPUT = 64
HEAT = INPUT // 2
CHANNELS = 5  # mask, forward flow (x, y), backward flow (x, y)
WEIGHTS = Path(__file__).parent / "weights"
#: a joint the network is surer of than it typically is counts up to this many times a typical one;
#: 1: none counts more (docs/preprocess.md: a cap of 4 made the skeleton of the tuning seeds better,
#: left the reported seeds level and tripled the floaters on the DAVIS animals)
MAX_CONFIDENCE = 1.0
#: flow (in units of the crop size) times this is the network's input
FLOW_SCALE = 8.0


def cue_features(mask: np.ndarray, fw: np.ndarray | None, bw: np.ndarray | None) -> np.ndarray:
    """``(CHANNELS, INPUT, INPUT)`` float32 input of one frame from its ``(H, W)`` crop mask and its
    ``(H, W, 2+)`` forward and backward flow in crop pixels (None at the ends of a video)."""
    H, W = mask.shape
    m = cv2.resize(mask.astype(np.float32), (INPUT, INPUT), interpolation=cv2.INTER_AREA)
    out = np.zeros((CHANNELS, INPUT, INPUT), np.float32)
    out[0] = m
    inside = m > 0.5
    for c, flow in ((1, fw), (3, bw)):
        if flow is None or not inside.any():
            continue
        f: np.ndarray = cv2.resize(np.asarray(flow[..., :2], np.float32), (INPUT, INPUT), interpolation=cv2.INTER_AREA)
        f = f / np.array([W, H], np.float32)
        f = (f - np.median(f[inside], axis=0)) * inside[..., None]
        out[c : c + 2] = np.clip(FLOW_SCALE * f, -4, 4).transpose(2, 0, 1)
    return out


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class CueNet(nn.Module):
    """A small U-Net: ``(B, CHANNELS, INPUT, INPUT)`` in; joints, their log-sigma and viewpoint
    logits out.

    Args:
        num_joints: ``J``, the skeleton's joints in its order.
        num_views: viewpoint bins.
        width: channels of the first level (the others are multiples).
    """

    grid: torch.Tensor  # buffer

    def __init__(self, num_joints: int, num_views: int, width: int = 16):
        super().__init__()
        w = width
        self.num_joints, self.num_views, self.width = num_joints, num_views, width
        self.stem = _block(CHANNELS, w)  # 64
        self.d1 = _block(w, 2 * w, 2)  # 32
        self.d2 = _block(2 * w, 3 * w, 2)  # 16
        self.d3 = _block(3 * w, 4 * w, 2)  # 8
        self.d4 = nn.Sequential(_block(4 * w, 6 * w, 2), _block(6 * w, 6 * w))  # 4
        self.u3 = _block(6 * w + 4 * w, 4 * w)
        self.u2 = _block(4 * w + 3 * w, 3 * w)
        self.u1 = nn.Sequential(_block(3 * w + 2 * w, 2 * w), _block(2 * w, 2 * w))
        self.heat = nn.Conv2d(2 * w, num_joints, 1)
        self.log_sigma = nn.Conv2d(2 * w, num_joints, 1)
        self.view = nn.Sequential(
            nn.Flatten(), nn.Linear(6 * w * 16, 256), nn.ReLU(inplace=True), nn.Linear(256, num_views)
        )
        grid = (torch.arange(HEAT, dtype=torch.float32) + 0.5) / HEAT
        self.register_buffer("grid", grid, persistent=False)

    def forward(self, x: torch.Tensor, spread: bool = False) -> tuple[torch.Tensor, ...]:
        """Returns ``joints (B, J, 2)`` in [0, 1] crop units (x, y), ``log_sigma (B, J)`` of each
        joint's position (same units) and ``view_logits (B, num_views)``; with ``spread``, also
        ``(B, J)`` each heatmap's mean squared distance from its mean (crop units squared)."""
        up = lambda a, b: torch.cat([nn.functional.interpolate(a, scale_factor=2.0, mode="nearest"), b], 1)  # noqa: E731
        s = self.stem(x)
        a1 = self.d1(s)
        a2 = self.d2(a1)
        a3 = self.d3(a2)
        a4 = self.d4(a3)
        f = self.u1(up(self.u2(up(self.u3(up(a4, a3)), a2)), a1))  # (B, 2w, HEAT, HEAT)
        B, J = x.shape[0], self.num_joints
        p = torch.softmax(self.heat(f).reshape(B, J, -1), -1).reshape(B, J, HEAT, HEAT)
        jx = (p.sum(2) * self.grid).sum(-1)
        jy = (p.sum(3) * self.grid).sum(-1)
        log_sigma = (self.log_sigma(f).reshape(B, J, -1) * p.reshape(B, J, -1)).sum(-1) - 3.0
        joints = torch.stack([jx, jy], -1)
        if not spread:
            return joints, log_sigma, self.view(a4)
        g2 = self.grid**2
        var = (p.sum(2) * g2).sum(-1) - jx**2 + (p.sum(3) * g2).sum(-1) - jy**2
        return joints, log_sigma, self.view(a4), var.clamp(min=0)


def weights_path(category: str) -> Path:
    return WEIGHTS / f"cue_net_{category}.npz"


def save_cue_net(net: CueNet, path: Path, meta: dict) -> None:
    """Weights as float16 arrays beside a JSON header (no pickle), atomically."""
    arrays = {
        k: v.detach().cpu().numpy().astype(np.float16 if v.is_floating_point() else v.cpu().numpy().dtype)
        for k, v in net.state_dict().items()
    }
    header = {"num_joints": net.num_joints, "num_views": net.num_views, "width": net.width, **meta}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, __header__=np.frombuffer(json.dumps(header).encode(), np.uint8), **arrays)
    tmp.replace(path)


def load_cue_net(category: str, path: Path | None = None) -> tuple[CueNet, dict] | None:
    """The shipped network of ``category`` in eval mode with its header (joint names, measured
    errors), or None when herd has none for it."""
    path = weights_path(category) if path is None else Path(path)
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as z:
        header = json.loads(bytes(z["__header__"]).decode())
        state = {
            k: torch.from_numpy(z[k].astype(np.float32) if z[k].dtype == np.float16 else z[k])
            for k in z.files
            if k != "__header__"
        }
    net = CueNet(header["num_joints"], header["num_views"], header["width"])
    net.load_state_dict(state)
    return net.eval(), header


@torch.no_grad()
def predict(net: CueNet, features: np.ndarray, batch: int = 64) -> dict[str, np.ndarray]:
    """Run ``net`` on ``(N, CHANNELS, INPUT, INPUT)`` features. Returns ``joints (N, J, 2)`` in [0, 1]
    crop units, ``sigma (N, J)`` in the same units, ``view_logp (N, V)`` log-probabilities."""
    out: dict[str, list[np.ndarray]] = {"joints": [], "sigma": [], "view_logp": []}
    for i in range(0, len(features), batch):
        j, ls, v = net(torch.from_numpy(np.ascontiguousarray(features[i : i + batch])))
        out["joints"].append(j.numpy())
        out["sigma"].append(ls.exp().numpy())
        out["view_logp"].append(torch.log_softmax(v, -1).numpy())
    return {k: np.concatenate(v) for k, v in out.items()}


def video_features(masks: np.ndarray, fw1: np.ndarray | None, bw1: np.ndarray | None) -> np.ndarray:
    """``(F, CHANNELS, INPUT, INPUT)`` inputs of a video's ``(F, H, W)`` crop masks with its gap-1
    flow (``fw1[t]``: frame t -> t+1, ``bw1[t]``: frame t+1 -> t, ``(F-1, H, W, 2+)`` each, or None)."""
    F = len(masks)
    return np.stack(
        [
            cue_features(
                masks[t],
                fw1[t] if fw1 is not None and t < F - 1 else None,
                bw1[t - 1] if bw1 is not None and t > 0 else None,
            )
            for t in range(F)
        ]
    )


def estimate_cues(
    net: CueNet, header: dict, masks: np.ndarray, fw1: np.ndarray | None, bw1: np.ndarray | None, res: int
) -> dict:
    """The network's cues for one video of ``res`` x ``res`` crops (see :func:`video_features`).

    Returns ``keypoints (F, J, 3)``: x, y in crop pixels and a confidence, the square of how much
    surer the network is of the joint than it typically is, at most :data:`MAX_CONFIDENCE` (1: an
    unsure joint weighs less, none more than a typical one); ``keypoint_sigma_px``: that typical
    standard deviation of each coordinate (the median of the network's predicted sigmas on held-out
    synthetic videos, whose errors it matches), in crop pixels, so that a joint's precision is the
    network's own for it, its standard deviation counted down to the typical one. (The RMS of the held-out
    errors, 2.9 times larger because a few joints are far off, gave weaker keypoints: on the tuning
    category bone-length r 0.22 against 0.67, joint error 0.13 against 0.08, docs/preprocess.md.)
    ``keypoint_names``; ``view_logp (F, V)``: log-probabilities of the viewpoint bins."""
    out = predict(net, video_features(masks, fw1, bw1))
    held = header["heldout"]
    conf = np.minimum((held["sigma_median"] / np.maximum(out["sigma"], 1e-6)) ** 2, MAX_CONFIDENCE)
    xy = out["joints"] * res - 0.5
    empty = ~masks.reshape(len(masks), -1).any(1)
    conf[empty] = 0
    return {
        "keypoints": np.concatenate([xy, conf[..., None]], -1).astype(np.float32),
        "keypoint_sigma_px": float(held["sigma_median"] * res),
        "keypoint_names": list(header["joint_names"]),
        "view_logp": out["view_logp"].astype(np.float32),
    }
