"""One video's motion of a rigged asset: one of its own clips that moves and keeps the body
standing (:class:`AssetMotion`), or herd's built-in actions retargeted onto the rig
(:class:`RetargetedMotion`). Frames as in :mod:`herd.synth.asset`."""

from __future__ import annotations

import dataclasses

import numpy as np

from herd.errors import HerdInputError
from herd.synth.asset_body import make_asset_body
from herd.synth.asset_rig import ASSET_HEIGHT
from herd.synth.retarget import builtin_rotations
from herd.synth.rigged_asset import RiggedAsset, builtin_height

#: Ground speed (m/s, before the motion's speed factor) of a clip, by a word in its name.
CLIP_SPEEDS = {"run": 2.0, "gallop": 2.0, "trot": 1.4, "walk": 0.8}
#: Relative chance of picking a clip, by a word in its name (others: 0.2).
CLIP_WEIGHTS = {"walk": 0.4, "run": 0.4, "survey": 0.2}
SPEED_RANGE = (0.8, 1.25)
MAX_YAW_RATE = np.deg2rad(30.0)


@dataclasses.dataclass(eq=False)
class AssetMotion:
    """One video's motion from an asset clip: a :class:`~herd.synth.types.Motion`.

    Attributes:
        num_frames: ``F``.
        obj2world: ``(F, 4, 4)`` object-to-world transforms (world: +y up, ground at y = 0; a yaw
            about +y and a translation on the ground, the path centred on the world origin).
        name: ``"<clip> x<speed>"``.
        clip: the asset clip's name.
        speed: playback and ground-speed factor.
        phase: clip time (s, from the clip's start) at frame 0.
        fps: frames per second.
        clip_times: ``(F,)`` clip time (s, on the clip's own time line) of each frame.
        ground_speed: metres per second along the heading.
        asset: the asset whose clip it is.
    """

    num_frames: int
    obj2world: np.ndarray
    name: str
    clip: str
    speed: float
    phase: float
    fps: float
    clip_times: np.ndarray
    ground_speed: float
    asset: RiggedAsset | None = None
    _rotations: np.ndarray | None = dataclasses.field(default=None, repr=False)

    @property
    def params(self) -> dict:
        """JSON-able description for the ground truth."""
        return {
            "clip": self.clip,
            "speed": round(self.speed, 6),
            "phase": round(self.phase, 6),
            "fps": self.fps,
            "ground_speed": round(self.ground_speed, 6),
        }

    def builtin_rotations(self) -> np.ndarray:
        """``(F, H, 3, 3)`` the clip as built-in local joint rotations (for another asset's body)."""
        if self._rotations is None:
            if self.asset is None or self.asset.joint_map is None:
                raise ValueError(f"clip {self.clip} cannot be retargeted: its asset's joints are not mapped")
            body = make_asset_body(self.asset, None)
            skins = np.stack([body.clip_skin(self.clip, float(t))[2] for t in self.clip_times])
            assert body.builtin_rest is not None  # make_asset_body sets it with the joint map
            self._rotations = builtin_rotations(self.asset.joint_map, body.builtin_rest, skins)
        return self._rotations


@dataclasses.dataclass(eq=False)
class RetargetedMotion:
    """Herd's built-in actions for a mapped asset: a :class:`~herd.synth.types.Motion`.

    Attributes:
        num_frames: ``F``.
        obj2world: ``(F, 4, 4)`` object to world (heading and path on the ground, scaled to the
            body's size; bodies put their own feet on the ground).
        name: the actions, e.g. ``"walk+turn"``.
        local_rot: ``(F, H, 3, 3)`` built-in local joint rotations.
        kind: ``"human"`` or ``"quad"``.
        speed: the per-video speed factor.
    """

    num_frames: int
    obj2world: np.ndarray
    name: str
    local_rot: np.ndarray
    kind: str
    speed: float

    def builtin_rotations(self) -> np.ndarray:
        return self.local_rot


def clip_ground_speed(name: str) -> float:
    """Ground speed (m/s) of a clip before the speed factor, by a word in its name (0 if none)."""
    low = name.lower()
    return next((v for k, v in CLIP_SPEEDS.items() if k in low), 0.0)


def _yaw_matrix(yaw: float) -> np.ndarray:
    """``(3, 3)`` rotation by ``yaw`` radians about +y (turns +z towards +x)."""
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _retargeted(
    asset: RiggedAsset, rng: np.random.Generator, num_frames: int, fps: float, actions: list[str] | None, height: float
) -> RetargetedMotion:
    from herd.synth.motion import make_motion

    jm = asset.joint_map
    if jm is None:
        raise HerdInputError(
            f"{asset.path}: its joints could not be mapped onto herd's skeletons, so built-in "
            "actions cannot drive it; use its own clips (drop --actions)"
        )
    try:
        m = make_motion(jm.target, num_frames, rng, actions=actions, fps=fps)
    except ValueError as exc:
        raise HerdInputError(f"--actions {','.join(actions or [])}: {exc}") from None
    obj2world = m.obj2world.copy()
    obj2world[:, :3, 3] *= height / builtin_height(jm.kind)
    obj2world[:, 1, 3] = 0.0
    return RetargetedMotion(
        num_frames=num_frames, obj2world=obj2world, name=m.name, local_rot=m.local_rot, kind=jm.kind, speed=m.speed
    )


def make_asset_motion(
    asset: RiggedAsset,
    rng: np.random.Generator,
    num_frames: int,
    fps: float,
    clip: str | None = None,
    actions: list[str] | None = None,
    height: float = ASSET_HEIGHT,
):
    """One video's motion for an asset.

    By default a clip that moves and keeps the body standing (:attr:`RiggedAsset.default_clips`;
    Walk and Run twice as likely as others) played at a random
    speed and phase: frame ``t`` shows the clip at ``start + (phase + t * speed / fps) mod
    duration``, the body moving along its heading (object +z) at :func:`clip_ground_speed` times
    the speed factor, the heading turning at a smooth random yaw rate of at most 30 deg/s (none
    when standing still). With ``actions``, or when no clip moves, herd's built-in actions
    retargeted onto the rig (:class:`RetargetedMotion`).

    Args:
        asset: from :func:`load_asset`.
        rng: the random source.
        num_frames: ``F``.
        fps: frames per second.
        clip: force a clip by name (any clip, also one not drawn by default).
        actions: force built-in actions (one or two, e.g. ``["walk", "turn"]``).
        height: the bodies' rest height (m), which scales built-in actions' paths.
    Returns:
        an :class:`AssetMotion` or a :class:`RetargetedMotion`.
    """
    if actions is not None or (clip is None and not asset.moving_clips):
        return _retargeted(asset, rng, num_frames, fps, actions, height)
    names = list(asset.default_clips or asset.moving_clips)
    if clip is None:
        w = np.array([next((v for k, v in CLIP_WEIGHTS.items() if k in n.lower()), 0.2) for n in names])
        clip = names[int(rng.choice(len(names), p=w / w.sum()))]
    elif clip not in asset.clips:
        raise HerdInputError(f"{asset.path}: no clip {clip!r}; use one of {', '.join(asset.clips)}")
    c = asset.clips[clip]
    speed = float(rng.uniform(*SPEED_RANGE))
    phase = float(rng.uniform(0.0, c.duration))
    frames = np.arange(num_frames, dtype=np.float64)
    clip_times = c.start + np.mod(phase + frames * speed / fps, c.duration)
    ground_speed = clip_ground_speed(clip) * speed * height / ASSET_HEIGHT

    yaw0 = float(rng.uniform(-np.pi, np.pi))
    freqs = rng.uniform(0.05, 0.3, size=2)
    phases = rng.uniform(0.0, 2 * np.pi, size=2)
    amps = rng.uniform(0.3, 1.0, size=2)
    rate_max = float(rng.uniform(0.0, MAX_YAW_RATE)) if ground_speed > 0 else 0.0
    secs = frames / fps
    wave = (amps[:, None] * np.sin(2 * np.pi * freqs[:, None] * secs[None] + phases[:, None])).sum(axis=0)
    rate = rate_max * wave / amps.sum()
    yaw = yaw0 + np.concatenate([[0.0], np.cumsum(rate[:-1]) / fps])
    step = ground_speed / fps * np.stack([np.sin(yaw), np.zeros_like(yaw), np.cos(yaw)], axis=-1)
    pos = np.concatenate([np.zeros((1, 3)), np.cumsum(step[:-1], axis=0)])
    pos -= pos.mean(axis=0)
    obj2world = np.tile(np.eye(4), (num_frames, 1, 1))
    for f in range(num_frames):
        obj2world[f, :3, :3] = _yaw_matrix(yaw[f])
    obj2world[:, :3, 3] = pos
    return AssetMotion(
        num_frames=num_frames,
        obj2world=obj2world,
        name=f"{clip} x{speed:.2f}",
        clip=clip,
        speed=speed,
        phase=phase,
        fps=float(fps),
        clip_times=clip_times,
        ground_speed=ground_speed,
        asset=asset,
    )
