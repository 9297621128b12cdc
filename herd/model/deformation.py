"""Soft deformation: small time-conditioned displacement fields in canonical space.

``forward`` moves canonical points to the frame's deformed canonical space, ``backward`` moves
them back; two networks, kept inverse to each other by the cycle loss and small by a size penalty.
"""

from __future__ import annotations

import torch
from torch import nn

from herd.model.encodings import FourierEncoding, PerFrame, mlp


class SoftDeformation(nn.Module):
    """Forward and backward displacement fields.

    Args:
        time_dim: width of the per-frame time embedding.
        code_dim: width of the morphology code.
        extent: object size; displacements are predicted in units of it.
        hidden: MLP width.
    """

    gain: torch.Tensor  # buffer

    def __init__(self, time_dim: int, code_dim: int, extent: float, hidden: int = 64, num_freqs: int = 4):
        super().__init__()
        self.extent = float(extent)
        self.enc = FourierEncoding(3, num_freqs)
        d = self.enc.out_dim + time_dim + code_dim
        self.fwd = mlp(d, hidden, 2, 3, zero_last=True)
        self.bwd = mlp(d, hidden, 2, 3, zero_last=True)
        self.register_buffer("gain", torch.tensor(1.0))  # ramped in by the training schedule

    def _displacement(self, net: nn.Module, x: torch.Tensor, cond: torch.Tensor | PerFrame) -> torch.Tensor:
        return net(self.enc(x / self.extent), cond).float() * (0.1 * self.extent) * self.gain

    def forward_offset(self, x: torch.Tensor, cond: torch.Tensor | PerFrame) -> torch.Tensor:
        """``(N, 3)`` canonical points and ``(N, C)`` (or per-frame) conditions to ``(N, 3)``
        displacements."""
        return self._displacement(self.fwd, x, cond)

    def backward_offset(self, x: torch.Tensor, cond: torch.Tensor | PerFrame) -> torch.Tensor:
        """``(N, 3)`` deformed points and ``(N, C)`` (or per-frame) conditions to ``(N, 3)``
        displacements back."""
        return self._displacement(self.bwd, x, cond)
