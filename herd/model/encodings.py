"""Input encodings: Fourier features annealed coarse to fine, and per-frame time embeddings."""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import cast

import torch
from torch import nn
from torch.nn import functional as F


class FourierEncoding(nn.Module):
    """``x -> [x, sin(2^k pi x), cos(2^k pi x)]`` for ``k < num_freqs``, with a coarse-to-fine window.

    The window (BARF-style) fades frequency ``k`` in as ``alpha`` passes ``k``; ``alpha`` is set by
    the trainer's schedule through :meth:`set_alpha` (``alpha >= num_freqs`` means all on).

    Args:
        in_dim: input width ``C``.
        num_freqs: ``L`` octaves.
    Shapes: ``(..., C)`` to ``(..., C * (1 + 2 L))``.
    """

    freqs: torch.Tensor  # buffer
    alpha: torch.Tensor  # buffer
    proj: torch.Tensor  # buffer
    phase: torch.Tensor  # buffer

    def __init__(self, in_dim: int, num_freqs: int):
        super().__init__()
        self.in_dim, self.num_freqs = in_dim, num_freqs
        self.register_buffer("freqs", (2.0 ** torch.arange(num_freqs)) * math.pi, persistent=False)
        self.register_buffer("alpha", torch.tensor(float(num_freqs)))
        # output column (l, s, c) = sin(2^l pi x_c + s pi / 2): one matrix product gives every
        # argument, cos as a shifted sin, in the order [sin(f0 x), cos(f0 x), sin(f1 x), ...]
        eye = torch.eye(in_dim)
        proj = torch.stack([torch.stack([f * eye, f * eye]) for f in self.freqs])  # (L, 2, C, C)
        self.register_buffer("proj", proj.permute(3, 0, 1, 2).reshape(in_dim, -1).contiguous(), persistent=False)
        phase = torch.tensor([0.0, math.pi / 2])[None, :, None].expand(num_freqs, 2, in_dim)
        self.register_buffer("phase", phase.reshape(-1).contiguous(), persistent=False)

    @property
    def out_dim(self) -> int:
        return self.in_dim * (1 + 2 * self.num_freqs)

    def set_alpha(self, alpha: float) -> None:
        self.alpha.fill_(alpha)

    def window(self) -> torch.Tensor:
        k = torch.arange(self.num_freqs, dtype=self.freqs.dtype, device=self.freqs.device)
        w = (self.alpha - k).clamp(0, 1)
        return 0.5 * (1 - torch.cos(w * math.pi))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, self.in_dim)
        enc = torch.sin(torch.addmm(self.phase, flat, self.proj))
        if float(self.alpha) < self.num_freqs:  # frequencies still fading in
            enc = enc * self.window().repeat_interleave(2 * self.in_dim)
        return torch.cat([flat, enc], dim=-1).reshape(*x.shape[:-1], self.out_dim)


class TimeEmbedding(nn.Module):
    """Codes per frame: Fourier features of the frame's time in its video, a learned code of its
    video, and a learned per-frame residual.

    :meth:`smooth` (Fourier + video code) varies smoothly in time by construction and drives the
    root pose; :meth:`forward` adds the per-frame residual (zero at the start), which lets joint
    rotations and soft deformation deviate where the data asks for it.

    Args:
        frame_video: ``(F,)`` video index of every global frame.
        frame_time: ``(F,)`` time of every global frame in [0, 1] within its video.
        num_freqs: Fourier octaves of the time.
        code_dim: width of the learned per-frame residual and of the video code.
    Shapes: ``(K,)`` global frame indices to ``(K, smooth_dim)`` or ``(K, out_dim)``.
    """

    frame_time: torch.Tensor  # buffer
    frame_video: torch.Tensor  # buffer

    def __init__(self, frame_video: torch.Tensor, frame_time: torch.Tensor, num_freqs: int = 5, code_dim: int = 8):
        super().__init__()
        self.register_buffer("frame_time", frame_time.float())
        self.register_buffer("frame_video", frame_video.long())
        self.fourier = FourierEncoding(1, num_freqs)
        num_videos = int(frame_video.max()) + 1 if len(frame_video) else 1
        g = torch.Generator().manual_seed(0)
        self.video_codes = nn.Parameter(torch.randn(num_videos, code_dim, generator=g) * 0.1)
        self.codes = nn.Parameter(torch.zeros(len(frame_time), code_dim))

    @property
    def smooth_dim(self) -> int:
        return self.fourier.out_dim + self.video_codes.shape[1]

    @property
    def out_dim(self) -> int:
        return self.smooth_dim + self.codes.shape[1]

    def smooth(self, frames: torch.Tensor) -> torch.Tensor:
        t = self.frame_time[frames][:, None] * 2 - 1
        return torch.cat([self.fourier(t), self.video_codes[self.frame_video[frames]]], dim=-1)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.smooth(frames), self.codes[frames]], dim=-1)


@dataclasses.dataclass
class PerFrame:
    """A condition shared by the points of each frame: ``values (K, C)``, row ``k`` belonging to
    the next ``counts[k]`` points (points grouped by frame, as the renderer keeps them).

    Passing this instead of ``(N, C)`` per-point rows lets an :class:`MLP` apply its first layer
    to the ``K`` rows once and add the result per frame, instead of copying the condition to every
    point and multiplying it ``N`` times (half the time of that layer at ``N`` = 32k, ``K`` = 16).
    """

    values: torch.Tensor
    counts: list[int]

    def _counts(self) -> torch.Tensor:
        return torch.tensor(self.counts, device=self.values.device)

    def repeat(self, per_frame: torch.Tensor) -> torch.Tensor:
        """``(K, ...)`` rows of anything per frame to ``(N, ...)``, one per point."""
        return torch.repeat_interleave(per_frame, self._counts(), dim=0)

    def per_point(self) -> torch.Tensor:
        """``(N, ...)`` this frame value of every point."""
        return self.repeat(self.values)

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        """``(M, C)`` the rows of the points at ``(M,)`` indices."""
        return self.values[torch.searchsorted(torch.cumsum(self._counts(), 0), index, right=True)]


#: row count that bfloat16 MLP inputs on the CPU are padded to a multiple of. oneDNN builds (JIT
#: compiles) a bf16 matrix-product kernel for every new shape, about 4 ms each on the reference
#: machine, and the number of occupied samples differs every step, so without padding nearly every
#: layer of every step paid that (docs/model.md, Numerics); padded, a few dozen shapes recur.
BF16_ROW_BUCKET = 1024


def _pad_rows(x: torch.Tensor, cond: torch.Tensor | PerFrame | None, pad: int):
    """``x`` and its condition with ``pad`` zero rows appended (the padding belongs to the last
    frame of a :class:`PerFrame`); their outputs are dropped, so they get no gradient."""
    x = F.pad(x, (0, 0, 0, pad))
    if isinstance(cond, PerFrame):
        cond = PerFrame(cond.values, cond.counts[:-1] + [cond.counts[-1] + pad])
    elif cond is not None:
        cond = F.pad(cond, (0, 0, 0, pad))
    return x, cond


class MLP(nn.Module):
    """``depth`` hidden layers of width ``hidden`` with SiLU activations; float32 output.

    An optional condition is the last ``C`` input columns, given apart from the points' own
    features: ``forward(x, cond)`` equals ``forward(cat([x, cond]))`` without building the
    concatenation; ``cond`` is ``(N, C)`` or a :class:`PerFrame`.

    With ``bf16`` set (by :meth:`herd.model.model.HerdModel.set_bf16`, ``--bf16``) the layers run
    under bfloat16 autocast: faster on GPUs and CPUs with AMX, slower than float32 on AVX-512 alone
    (docs/model.md); geometry outside MLPs stays float32.

    Args:
        zero_last: start the output layer at zero (the module starts as no displacement / no
            correction).
    Shapes: ``(N, in_dim)`` (or ``(N, in_dim - C)`` and a condition) to ``(N, out_dim)``.
    """

    def __init__(self, in_dim: int, hidden: int, depth: int, out_dim: int, zero_last: bool = False):
        super().__init__()
        layers: list[nn.Module] = []
        d = in_dim
        for _ in range(depth):
            layers += [nn.Linear(d, hidden), nn.SiLU()]
            d = hidden
        last = nn.Linear(d, out_dim)
        if zero_last:
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)
        layers.append(last)
        self.net = nn.Sequential(*layers)
        self.bf16 = False

    def forward(self, x: torch.Tensor, cond: torch.Tensor | PerFrame | None = None) -> torch.Tensor:
        if self.bf16:
            n, pad = x.shape[0], (-x.shape[0]) % BF16_ROW_BUCKET
            if pad and x.device.type == "cpu":
                x, cond = _pad_rows(x, cond, pad)
            with torch.autocast(x.device.type, dtype=torch.bfloat16):
                return self._run(x, cond)[:n].float()
        return self._run(x, cond)

    def _run(self, x: torch.Tensor, cond: torch.Tensor | PerFrame | None) -> torch.Tensor:
        if cond is None:
            return self.net(x)
        first = cast(nn.Linear, self.net[0])
        d = x.shape[-1]
        if isinstance(cond, PerFrame):  # (K, H) once, then one row per point
            c = cond.repeat(F.linear(cond.values, first.weight[:, d:], first.bias))
        else:
            c = F.linear(cond, first.weight[:, d:], first.bias)
        return self.net[1:](torch.addmm(c, x, first.weight[:, :d].t()))


class PerVideoMLP(nn.Module):
    """One small MLP per video, evaluated for a batch of frames of mixed videos.

    For the motion of each video (root pose, joint rotations): every video gets the whole network
    to itself rather than one shared network told apart by a video code, whose first layer is all
    the code can change, so that every video's motion came from one family of trajectories.
    Replacing the six humans' learned roots by the true ones gained 0.074 held-out IoU (one video
    alone: 0.033); per-video root networks raised human-6's held-out IoU from 0.668 to 0.710 at
    4,000 steps; per-video joint-rotation networks are an option (``--per_video_motion``: the
    humans' bone-length r 0.72 -> 0.83, the quadrupeds' held-out IoU 0.79 -> 0.74;
    docs/history/2026-11-25.md). Parameters grow by one small network per video; the weights are
    gathered per frame, not per sample.

    Args:
        num_videos: ``V``.
        in_dim, hidden, depth, out_dim: as :class:`herd.model.encodings.MLP`; SiLU activations.
        zero_last: start every video's output at zero.
    Shapes: ``(K, in_dim)`` inputs and ``(K,)`` video indices to ``(K, out_dim)`` in the weights'
    dtype (float32).
    """

    def __init__(self, num_videos: int, in_dim: int, hidden: int, depth: int, out_dim: int, zero_last: bool = True):
        super().__init__()
        dims = [in_dim] + [hidden] * depth + [out_dim]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for i, (a, b) in enumerate(itertools.pairwise(dims)):
            zero = zero_last and i == len(dims) - 2
            w, bias = torch.zeros(num_videos, a, b), torch.zeros(num_videos, b)
            if not zero:  # nn.Linear's range
                w.uniform_(-1 / math.sqrt(a), 1 / math.sqrt(a))
                bias.uniform_(-1 / math.sqrt(a), 1 / math.sqrt(a))
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(bias))

    def forward(self, x: torch.Tensor, video: torch.Tensor) -> torch.Tensor:
        h = x.to(self.weights[0].dtype)[:, None]
        n = len(self.weights)
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            # index_select, not w[video]: the backward of advanced indexing sums the frames of one
            # video in a varying order on CPU, which broke the bit-exact resume
            h = torch.baddbmm(b.index_select(0, video)[:, None], h, w.index_select(0, video))
            if i < n - 1:
                h = F.silu(h)
        return h[:, 0]


def mlp(in_dim: int, hidden: int, depth: int, out_dim: int, zero_last: bool = False) -> MLP:
    """Shorthand for :class:`MLP`."""
    return MLP(in_dim, hidden, depth, out_dim, zero_last)
