"""Gaussian-bone skinning with a small learned correction.

One Gaussian per joint, attached to the joint's frame. The weight of bone ``j`` at a point ``x``
is ``softmax_j(-0.5 (x - c_j)^T P_j (x - c_j) + delta_j(x))``. The quadratic form is written as a
product of 10 monomials of ``x`` with a ``(10, J)`` coefficient matrix, so the distances to all
bones are one matrix product (7x faster than broadcasting on a CPU), and a posed frame's
Gaussians are the same product with transformed coefficients.
"""

from __future__ import annotations

import torch
from torch import nn

from herd.model.encodings import FourierEncoding, PerFrame, mlp


def monomials(x: torch.Tensor) -> torch.Tensor:
    """``(N, 3)`` to ``(N, 10)``: x^2, y^2, z^2, xy, xz, yz, x, y, z, 1."""
    a, b, c = x.unbind(-1)
    return torch.stack([a * a, b * b, c * c, a * b, a * c, b * c, a, b, c, torch.ones_like(a)], dim=-1)


def quadratic_coefficients(center: torch.Tensor, precision: torch.Tensor) -> torch.Tensor:
    """``(..., J, 3)`` centres and ``(..., J, 3, 3)`` precisions to ``(..., 10, J)`` coefficients of
    ``-0.5 (x - c)^T P (x - c)`` in :func:`monomials`."""
    P = precision
    Pc = (P @ center[..., None])[..., 0]
    cPc = (center * Pc).sum(-1)
    coef = torch.stack(
        [
            P[..., 0, 0],
            P[..., 1, 1],
            P[..., 2, 2],
            2 * P[..., 0, 1],
            2 * P[..., 0, 2],
            2 * P[..., 1, 2],
            -2 * Pc[..., 0],
            -2 * Pc[..., 1],
            -2 * Pc[..., 2],
            cPc,
        ],
        dim=-2,
    )
    return -0.5 * coef


def segment_matmul(a: torch.Tensor, b: torch.Tensor, counts: list[int]) -> torch.Tensor:
    """Multiply consecutive row segments of ``a`` by their own matrix.

    Args:
        a: ``(N, P)`` rows grouped by segment (segment k has ``counts[k]`` rows).
        b: ``(K, P, Q)`` one matrix per segment.
    Returns:
        ``(N, Q)``.
    """
    if len(counts) == 1:
        return a @ b[0]
    return torch.cat([x @ b[k] for k, x in enumerate(torch.split(a, counts))], dim=0)


class GaussianBones(nn.Module):
    """Skinning weights from one Gaussian per joint, plus a learned correction.

    Args:
        centers: ``(J, 3)`` initial Gaussian centres in canonical space.
        radii: ``(J, 3)`` initial standard deviations along the canonical axes (metres).
        code_dim: width of the morphology code conditioning the correction.
        extent: object size, to normalise the correction's input.
    """

    center_init: torch.Tensor  # buffer

    def __init__(
        self, centers: torch.Tensor, radii: torch.Tensor, code_dim: int, extent: float, correction: bool = True
    ):
        super().__init__()
        self.center = nn.Parameter(centers.float().clone())
        self.register_buffer("center_init", centers.float().clone())
        self.log_radius = nn.Parameter(radii.float().log().clone())
        self.extent = float(extent)
        self.correction = None
        if correction:
            self.enc = FourierEncoding(3, 4)
            self.correction = mlp(self.enc.out_dim + code_dim, 32, 2, centers.shape[0], zero_last=True)

    @property
    def num_bones(self) -> int:
        return self.center.shape[0]

    def precision(self) -> torch.Tensor:
        """``(J, 3, 3)`` diagonal precisions (axis-aligned in canonical space)."""
        return torch.diag_embed(torch.exp(-2 * self.log_radius))

    def canonical_coefficients(self) -> torch.Tensor:
        """``(10, J)`` coefficients of the Gaussians in canonical space."""
        return quadratic_coefficients(self.center, self.precision())

    def posed_coefficients(self, skin: torch.Tensor) -> torch.Tensor:
        """``(K, J, 4, 4)`` skinning transforms to ``(K, 10, J)`` coefficients of the posed Gaussians."""
        R, t = skin[..., :3, :3], skin[..., :3, 3]
        c = (R @ self.center[None, :, :, None])[..., 0] + t
        P = R @ self.precision()[None] @ R.transpose(-1, -2)
        return quadratic_coefficients(c, P)

    def delta(self, x: torch.Tensor, code: torch.Tensor | PerFrame | None) -> torch.Tensor | None:
        """``(N, 3)`` canonical points and ``(N, C)`` (or per-frame) codes to ``(N, J)`` logit
        corrections (None when disabled)."""
        if self.correction is None:
            return None
        return self.correction(self.enc(x / self.extent), code).float()

    def canonical_weights(self, x: torch.Tensor, code: torch.Tensor | PerFrame | None) -> torch.Tensor:
        """``(N, 3)`` canonical points (and their codes, see :meth:`delta`) to ``(N, J)`` weights
        summing to one."""
        logits = monomials(x) @ self.canonical_coefficients()
        d = self.delta(x, code)
        if d is not None:
            logits = logits + d
        return torch.softmax(logits, dim=-1)

    def posed_weights(self, x: torch.Tensor, coef: torch.Tensor, counts: list[int]) -> torch.Tensor:
        """``(N, 3)`` posed points grouped by frame (``counts``) and ``(K, 10, J)`` posed coefficients
        to ``(N, J)`` weights (without the correction, which lives in canonical space)."""
        return torch.softmax(segment_matmul(monomials(x), coef, counts), dim=-1)


def blend(weights: torch.Tensor, transforms: torch.Tensor, x: torch.Tensor, counts: list[int]) -> torch.Tensor:
    """Linear blend skinning of grouped points.

    Args:
        weights: ``(N, J)`` skinning weights.
        transforms: ``(K, J, 4, 4)`` per-frame bone transforms.
        x: ``(N, 3)`` points, grouped by frame (``counts``).
    Returns:
        ``(N, 3)`` ``sum_j w_j T_j x``.
    """
    K, J = transforms.shape[:2]
    M = segment_matmul(weights, transforms[..., :3, :].reshape(K, J, 12), counts).reshape(-1, 3, 4)
    return (M[..., :3] @ x[..., None])[..., 0] + M[..., 3]
