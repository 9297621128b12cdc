"""Root pose per frame: the dataset's initial object-to-camera pose times a learned correction."""

from __future__ import annotations

import torch
from torch import nn

from herd.model.encodings import PerVideoMLP
from herd.model.so3 import axis_angle_to_matrix, make_transform


class RootPose(nn.Module):
    """``obj2cam_f = [exp(w_f) R_init_f | t_init_f + d_f]``, the correction a smooth function of
    time, one per video (:class:`PerVideoMLP` of the frame's smooth time embedding).

    Args:
        init_obj2cam: ``(F, 4, 4)`` initial poses of all frames (OpenCV camera).
        num_videos: ``V``, one correction network each.
        time_dim: width of the time embedding.
        extent: object size; translation corrections are in units of it.
    """

    init_obj2cam: torch.Tensor  # buffer

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
