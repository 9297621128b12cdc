"""The canonical shape and colour: a signed-distance field and a colour field, and SDF -> density."""

from __future__ import annotations

import torch
from torch import nn

from herd.model.encodings import FourierEncoding, PerFrame, mlp


class CanonicalField(nn.Module):
    """SDF and colour in canonical space (+y up, +z forward, metres), conditioned on codes.

    Args:
        center, extent: ``(3,)`` and scalar normalising canonical points to about [-1, 1].
        num_freqs: Fourier octaves of the position (annealed by the trainer).
        hidden, depth: MLP width and hidden layers of the shared trunk.
        code_dim: width of the morphology code that conditions the shape (0: none).
        app_dim: width of the appearance code that conditions the colour (0: none).
        feat_dim: width of the feature passed from the trunk to the colour head.
        symmetric: make the shape mirror-symmetric about the canonical x = center plane (the
            left/right symmetry of a skeleton's rest pose); colour stays free, as coat patterns are
            not symmetric.
        shading: the colour also sees the surface normal in camera space (``(N, 3)``, OpenCV), so
            that it can shade: light that stays with the camera while the object turns makes a
            point's colour change from frame to frame, which a colour of position alone can only
            average into a blur. Without a normal (exported meshes) the colour is that of a
            surface facing the camera, ``(0, 0, -1)``.
    """

    center: torch.Tensor  # buffer

    #: the camera-space normal that colours are baked with when no normal is given
    FACING = (0.0, 0.0, -1.0)

    def __init__(
        self,
        center: torch.Tensor,
        extent: float,
        num_freqs: int = 6,
        hidden: int = 64,
        depth: int = 3,
        code_dim: int = 0,
        app_dim: int = 0,
        feat_dim: int = 16,
        symmetric: bool = False,
        shading: bool = False,
    ):
        super().__init__()
        self.register_buffer("center", center.float().clone())
        self.extent = float(extent)
        self.symmetric = symmetric
        self.enc = FourierEncoding(3, num_freqs)
        self.trunk = mlp(self.enc.out_dim + code_dim, hidden, depth, 1 + feat_dim)
        self.color_enc = FourierEncoding(3, 4)
        self.shading = shading
        extra = (self.color_enc.out_dim if symmetric else 0) + (3 if shading else 0)
        self.color_head = mlp(feat_dim + app_dim + extra, hidden, 1, 3)

    def _normalise(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.center) / self.extent

    def _trunk(self, x: torch.Tensor, code: torch.Tensor | PerFrame | None) -> torch.Tensor:
        xn = self._normalise(x)
        if self.symmetric:  # smooth |x| keeps the SDF differentiable on the mirror plane
            xn = torch.cat([torch.sqrt(xn[..., :1] ** 2 + 1e-4), xn[..., 1:]], dim=-1)
        return self.trunk(self.enc(xn), code)

    def sdf(self, x: torch.Tensor, code: torch.Tensor | PerFrame | None = None) -> torch.Tensor:
        """``(N, 3)`` canonical points and ``(N, C)`` (or per-frame) codes to ``(N,)`` signed
        distance in metres (negative inside)."""
        return self._trunk(x, code)[..., 0].float() * self.extent

    def geometry(
        self, x: torch.Tensor, code: torch.Tensor | PerFrame | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(N, 3)`` canonical points to ``(N,)`` SDF (metres) and ``(N, F)`` features for :meth:`color`."""
        out = self._trunk(x, code)
        return out[..., 0].float() * self.extent, out[..., 1:]

    def color(
        self,
        x: torch.Tensor,
        feat: torch.Tensor,
        app: torch.Tensor | PerFrame | None = None,
        normal: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``(N, 3)`` RGB in [0, 1] from ``(N, 3)`` canonical points, their ``(N, F)`` features and,
        with ``shading``, ``(N, 3)`` unit camera-space normals (default :attr:`FACING`)."""
        parts = [feat]
        if self.symmetric:
            parts.append(self.color_enc(self._normalise(x)).to(feat.dtype))
        if self.shading:
            if normal is None:
                normal = torch.tensor(self.FACING, device=x.device).expand(x.shape[0], 3)
            parts.append(normal.to(feat.dtype))
        return torch.sigmoid(self.color_head(torch.cat(parts, -1) if len(parts) > 1 else feat, app).float())

    def forward(
        self,
        x: torch.Tensor,
        code: torch.Tensor | PerFrame | None = None,
        app: torch.Tensor | PerFrame | None = None,
        normal: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(N, 3)`` canonical points to ``(N,)`` SDF (metres) and ``(N, 3)`` RGB in [0, 1] (see
        :meth:`color` for ``normal``)."""
        sdf, feat = self.geometry(x, code)
        return sdf, self.color(x, feat, app, normal)


class SdfDensity(nn.Module):
    """VolSDF density ``sigma = Psi_beta(-sdf) / beta`` (Laplace CDF) with a learnable sharpness.

    Args:
        beta_init: initial ``beta`` in metres (the width of the surface's transition).
        beta_min: lower bound of ``beta``.
    """

    def __init__(self, beta_init: float, beta_min: float):
        super().__init__()
        self.log_beta = nn.Parameter(torch.tensor(float(beta_init)).log())
        self.beta_min = float(beta_min)

    @property
    def beta(self) -> torch.Tensor:
        return self.log_beta.exp() + self.beta_min

    def forward(self, sdf: torch.Tensor) -> torch.Tensor:
        """``(...)`` SDF to ``(...)`` density (1 / metres)."""
        beta = self.beta
        s = sdf / beta
        # Psi(-s): 0.5 exp(-s) outside (s > 0), 1 - 0.5 exp(s) inside
        psi = torch.where(s > 0, 0.5 * torch.exp(-s.clamp(min=0)), 1 - 0.5 * torch.exp(s.clamp(max=0)))
        return psi / beta


def capsule_sdf(x: torch.Tensor, a: torch.Tensor, b: torch.Tensor, radius: torch.Tensor) -> torch.Tensor:
    """Distance of ``(N, 3)`` points to a union of capsules ``(C, 3)`` a->b with ``(C,)`` radii: ``(N,)``."""
    ab = b - a
    t = (((x[:, None] - a[None]) * ab[None]).sum(-1) / (ab * ab).sum(-1).clamp(min=1e-9)).clamp(0, 1)
    d = (x[:, None] - (a[None] + t[..., None] * ab[None])).norm(dim=-1) - radius[None]
    k = 0.02
    return -k * torch.logsumexp(-d / k, dim=1)
