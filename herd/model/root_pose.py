"""Root pose per frame: the dataset's initial object-to-camera pose times a learned correction."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from herd.model.so3 import axis_angle_to_matrix, make_transform


class PerVideoMLP(nn.Module):
    """One small MLP per video, evaluated for a batch of frames of mixed videos.

    Every video gets the whole network to itself rather than one shared network told apart by a
    video code, whose first layer is all the code can change: the root of every video then came from
    one family of trajectories, and replacing the six humans' learned roots by the true ones gained
    0.074 held-out IoU (one video alone: 0.033). Per-video networks raised human-6's held-out IoU
    from 0.668 to 0.710 at 4,000 steps (docs/benchmarks.md). Parameters grow by one small network
    per video, nothing else.

    Args:
        num_videos: ``V``.
        in_dim, hidden, depth, out_dim: as :class:`herd.model.encodings.MLP`; SiLU activations.
        zero_last: start every video's output at zero.
    Shapes: ``(K, in_dim)`` inputs and ``(K,)`` video indices to ``(K, out_dim)`` float32.
    """

    def __init__(self, num_videos: int, in_dim: int, hidden: int, depth: int, out_dim: int, zero_last: bool = True):
        super().__init__()
        dims = [in_dim] + [hidden] * depth + [out_dim]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
            zero = zero_last and i == len(dims) - 2
            w, bias = torch.zeros(num_videos, a, b), torch.zeros(num_videos, b)
            if not zero:  # nn.Linear's range
                w.uniform_(-1 / math.sqrt(a), 1 / math.sqrt(a))
                bias.uniform_(-1 / math.sqrt(a), 1 / math.sqrt(a))
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(bias))

    def forward(self, x: torch.Tensor, video: torch.Tensor) -> torch.Tensor:
        h = x.float()[:, None]
        n = len(self.weights)
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b[video][:, None], h, w[video])
            if i < n - 1:
                h = F.silu(h)
        return h[:, 0]


class RootPose(nn.Module):
    """``obj2cam_f = [exp(w_f) R_init_f | t_init_f + d_f]``, the correction a smooth function of
    time, one per video (:class:`PerVideoMLP` of the frame's smooth time embedding).

    Args:
        init_obj2cam: ``(T, 4, 4)`` initial poses of all frames (OpenCV camera).
        num_videos: ``V``, one correction network each.
        time_dim: width of the time embedding.
        extent: object size; translation corrections are in units of it.
    """

    def __init__(self, init_obj2cam: torch.Tensor, num_videos: int, time_dim: int, extent: float):
        super().__init__()
        self.register_buffer("init_obj2cam", init_obj2cam.float().clone())
        self.extent = float(extent)
        self.net = PerVideoMLP(num_videos, time_dim, 64, 2, 6)

    def forward(self, frames: torch.Tensor, video: torch.Tensor, time_embed: torch.Tensor) -> torch.Tensor:
        """``(K,)`` global frames, their ``(K,)`` videos and ``(K, D)`` embeddings to ``(K, 4, 4)``
        obj2cam."""
        d = self.net(time_embed, video)
        init = self.init_obj2cam[frames]
        R = axis_angle_to_matrix(d[:, :3]) @ init[:, :3, :3]
        t = init[:, :3, 3] + d[:, 3:] * self.extent
        return make_transform(R, t)
