"""Animation clips of a glTF file: keyframed node translations, rotations and scales.

Quaternions are ``(x, y, z, w)`` (glTF's order). Times are seconds on the clip's own time line.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.spatial.transform import Rotation

from herd.synth.gltf_decode import GlbFile

#: A clip whose joints all turn less than this over its length (degrees) and whose nodes move
#: less than 1% of the rig's size is "static" (a T-pose held for two keys).
STATIC_DEG = 5.0


def slerp(q0: np.ndarray, q1: np.ndarray, a: float) -> np.ndarray:
    """Spherical interpolation of ``(4,)`` quaternions (any order of components), shortest path."""
    q0 = np.asarray(q0, dtype=np.float64)
    q1 = np.asarray(q1, dtype=np.float64)
    d = float(np.dot(q0, q1))
    if d < 0.0:
        q1, d = -q1, -d
    if d > 0.9995:
        q = (1 - a) * q0 + a * q1
    else:
        th = np.arccos(min(d, 1.0))
        q = (np.sin((1 - a) * th) * q0 + np.sin(a * th) * q1) / np.sin(th)
    return q / max(float(np.linalg.norm(q)), 1e-12)


@dataclasses.dataclass(frozen=True, eq=False)
class Channel:
    """One animated property of one node.

    Attributes:
        node: target node index.
        path: ``"translation"``, ``"rotation"`` (quaternion ``x, y, z, w``) or ``"scale"``.
        interpolation: ``"LINEAR"``, ``"STEP"`` or ``"CUBICSPLINE"``.
        times: ``(K,)`` increasing key times in seconds.
        values: ``(K, D)`` key values, ``(K, 3, D)`` (in-tangent, value, out-tangent) for
            ``CUBICSPLINE``; ``D`` is 3 or 4.
    """

    node: int
    path: str
    interpolation: str
    times: np.ndarray
    values: np.ndarray

    def sample(self, t: float) -> np.ndarray:
        """``(D,)`` value at time ``t`` seconds (clamped to the keys); rotations are unit quaternions."""
        times, vals = self.times, self.values
        k = len(times)
        if k == 1 or t <= times[0]:
            out = vals[0, 1] if self.interpolation == "CUBICSPLINE" else vals[0]
        elif t >= times[-1]:
            out = vals[-1, 1] if self.interpolation == "CUBICSPLINE" else vals[-1]
        else:
            i = int(np.searchsorted(times, t, side="right")) - 1
            i = min(max(i, 0), k - 2)
            dt = float(times[i + 1] - times[i])
            a = 0.0 if dt <= 0 else (t - times[i]) / dt
            if self.interpolation == "STEP":
                out = vals[i]
            elif self.interpolation == "CUBICSPLINE":
                a2, a3 = a * a, a * a * a
                out = (
                    (2 * a3 - 3 * a2 + 1) * vals[i, 1]
                    + (a3 - 2 * a2 + a) * dt * vals[i, 2]
                    + (-2 * a3 + 3 * a2) * vals[i + 1, 1]
                    + (a3 - a2) * dt * vals[i + 1, 0]
                )
            elif self.path == "rotation":
                out = slerp(vals[i], vals[i + 1], a)
            else:
                out = (1 - a) * vals[i] + a * vals[i + 1]
        out = np.asarray(out, dtype=np.float64)
        if self.path == "rotation":
            out = out / max(np.linalg.norm(out), 1e-12)
        return out


@dataclasses.dataclass(frozen=True, eq=False)
class Clip:
    """One animation.

    Attributes:
        name: the animation's name (``"Walk"``).
        start: first key time (s).
        duration: length (s) over all channels; frames wrap modulo this.
        channels: the animated node properties (morph-target weights are dropped).
    """

    name: str
    start: float
    duration: float
    channels: tuple[Channel, ...]

    def overrides(self, t: float) -> dict[int, dict[str, np.ndarray]]:
        """Animated ``{node: {path: value}}`` at clip time ``t`` (seconds, in ``[start, start + duration]``)."""
        out: dict[int, dict[str, np.ndarray]] = {}
        for ch in self.channels:
            out.setdefault(ch.node, {})[ch.path] = ch.sample(t)
        return out

    def motion_range(self, nodes: set[int], samples: int = 17) -> tuple[float, float]:
        """Largest rotation (degrees) and translation change (raw units) of any of ``nodes`` over the clip.

        Args:
            nodes: the node indices that count (the rig's joints).
            samples: sampled times over the clip.
        """
        times = self.start + self.duration * np.linspace(0.0, 1.0, samples)
        deg, move = 0.0, 0.0
        for ch in self.channels:
            if ch.node not in nodes or ch.path == "scale":
                continue
            vals = np.stack([ch.sample(t) for t in times])
            if ch.path == "rotation":
                r = Rotation.from_quat(vals)
                deg = max(deg, float(np.rad2deg((r[0].inv() * r).magnitude()).max()))
            else:
                move = max(move, float(np.linalg.norm(vals - vals[0], axis=1).max()))
        return deg, move


def read_clips(glb: GlbFile) -> dict[str, Clip]:
    """Every animation with at least one translation, rotation or scale channel, by name."""
    gltf = glb.gltf
    clips: dict[str, Clip] = {}
    for k, anim in enumerate(gltf.animations):
        channels = []
        for ch in anim.channels:
            target = ch.target
            if target is None or target.node is None or target.path not in ("translation", "rotation", "scale"):
                continue
            smp = anim.samplers[ch.sampler]
            times = glb.accessor(smp.input).reshape(-1).astype(np.float64)
            vals = glb.accessor(smp.output).astype(np.float64)
            interp = (smp.interpolation or "LINEAR").upper()
            if len(times) == 0:
                continue
            vals = vals.reshape(len(times), 3, -1) if interp == "CUBICSPLINE" else vals.reshape(len(times), -1)
            channels.append(
                Channel(node=int(target.node), path=target.path, interpolation=interp, times=times, values=vals)
            )
        if not channels:
            continue
        start = min(float(c.times[0]) for c in channels)
        end = max(float(c.times[-1]) for c in channels)
        name = anim.name or f"clip{k}"
        while name in clips:
            name += "_"
        clips[name] = Clip(name=name, start=start, duration=max(end - start, 1e-6), channels=tuple(channels))
    return clips
