"""Which pixels a training step sees: frames uniformly over all frames of all videos, each with a
paired frame (gap 1, 2, 4 or 8, either direction) for flow, and pixels inside and around its mask."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from herd.data.cache import Cache


@dataclasses.dataclass
class Batch:
    """One step's rays, grouped by frame (``K`` frames, ``n`` rays each, ``R = K n``).

    Attributes:
        frames, pairs: ``(K,)`` global frame indices and their paired frames.
        pix: ``(R, 2)`` pixel coordinates (x, y).
        rgb: ``(R, 3)`` in [0, 1]; mask: ``(R,)`` 0/1.
        flow: ``(R, 3)`` dx, dy, confidence to the paired frame.
        keypoints: ``(K, J, 3)`` x, y, confidence, or None.
        depth: ``(R,)`` camera z (0 = unknown), or None.
        counts: rays per frame.
    """

    frames: torch.Tensor
    pairs: torch.Tensor
    pix: torch.Tensor
    rgb: torch.Tensor
    mask: torch.Tensor
    flow: torch.Tensor
    keypoints: torch.Tensor | None
    counts: list[int]
    depth: torch.Tensor | None = None

    def to(self, device: torch.device) -> Batch:
        return Batch(
            **{
                f.name: (
                    getattr(self, f.name).to(device)
                    if isinstance(getattr(self, f.name), torch.Tensor)
                    else getattr(self, f.name)
                )
                for f in dataclasses.fields(self)
            }
        )


class PixelSampler:
    """Draws :class:`Batch` es from a :class:`Cache`.

    Args:
        cache: the training cache.
        frames_per_step: ``K``.
        rays_per_frame: ``n``: half inside the mask, a quarter in the band around it, a quarter anywhere.
        seed: seed of its own generator (its state is saved in checkpoints).
    """

    def __init__(self, cache: Cache, frames_per_step: int, rays_per_frame: int, seed: int):
        self.cache = cache
        self.K, self.n = frames_per_step, rays_per_frame
        self.rng = np.random.default_rng(seed)
        self.gaps = list(cache.meta["flow_gaps"])
        self.valid = np.nonzero(cache.detected)[0]
        counts = np.bincount(cache.frame_video, minlength=cache.num_videos)
        self.last = np.array([cache.meta["videos"][v]["start"] + counts[v] - 1 for v in cache.frame_video])
        self.first = np.array([cache.meta["videos"][v]["start"] for v in cache.frame_video])

    def state(self) -> dict:
        return dict(self.rng.bit_generator.state)

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state

    def _pair(self, t: int) -> tuple[int, str, int]:
        options = [
            (d, g)
            for g in self.gaps
            for d in ("fw", "bw")
            if (d == "fw" and t + g <= self.last[t]) or (d == "bw" and t - g >= self.first[t])
        ]
        if not options:
            return t, "", 0
        d, g = options[self.rng.integers(len(options))]
        return (t + g if d == "fw" else t - g), d, g

    def _pixels(self, t: int) -> np.ndarray:
        c = self.cache
        R = c.res
        fg = np.flatnonzero(c.mask[t])
        band = np.flatnonzero(c.band[t])
        n_fg = self.n // 2 if len(fg) else 0
        n_band = self.n // 4 if len(band) else 0
        parts = [self.rng.integers(0, R * R, self.n - n_fg - n_band)]
        if n_fg:
            parts.append(fg[self.rng.integers(0, len(fg), n_fg)])
        if n_band:
            parts.append(band[self.rng.integers(0, len(band), n_band)])
        return np.concatenate(parts)

    def sample(self) -> Batch:
        c = self.cache
        R = c.res
        frames = self.valid[self.rng.integers(0, len(self.valid), self.K)]
        pairs, pix, rgb, mask, flow, depth = [], [], [], [], [], []
        for t in frames:
            p, d, g = self._pair(int(t))
            pairs.append(p)
            flat = self._pixels(int(t))
            y, x = flat // R, flat % R
            pix.append(np.stack([x, y], 1))
            rgb.append(c.rgb[t].reshape(-1, 3)[flat])
            mask.append(c.mask[t].reshape(-1)[flat])
            flow.append(c.flow[d, g][t].reshape(-1, 3)[flat] if d else np.zeros((len(flat), 3), np.float16))
            if c.depth is not None:
                depth.append(c.depth[t].reshape(-1)[flat])
        kp = None if c.keypoints is None else torch.from_numpy(np.asarray(c.keypoints[frames], dtype=np.float32))
        return Batch(
            frames=torch.from_numpy(frames.astype(np.int64)),
            pairs=torch.tensor(pairs, dtype=torch.long),
            pix=torch.from_numpy(np.concatenate(pix).astype(np.float32)),
            rgb=torch.from_numpy(np.concatenate(rgb).astype(np.float32) / 255.0),
            mask=torch.from_numpy(np.concatenate(mask).astype(np.float32)),
            flow=torch.from_numpy(np.concatenate(flow).astype(np.float32)),
            keypoints=kp,
            counts=[self.n] * self.K,
            depth=torch.from_numpy(np.concatenate(depth).astype(np.float32)) if depth else None,
        )
