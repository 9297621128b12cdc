"""Procedural motion for the built-in skeletons: gaits and actions blended over time.

A video's motion is a timeline of one or two actions (quadruped: walk, trot, turn, sit; human:
walk, run, turn, crouch, wave) that cross-fade, played at a per-video speed, with smooth random
variation on every joint. Joint rotations are local Euler angles about the rest frames' axes
(x = the body's left, y = up, z = forward), so ``x`` flexes limbs and ``y`` bends sideways. The
root moves along its heading on the ground plane (world +y up, ground at y = 0).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from herd.geometry.skeleton import Skeleton, forward_kinematics
from herd.geometry.transforms import (
    axis_angle_to_matrix,
    euler_xyz_to_matrix,
    make_transform,
)

ACTIONS = {"quad": ("walk", "trot", "turn", "sit"), "human": ("walk", "run", "turn", "crouch", "wave")}
STILL = "still"  # no articulation and no root motion: a rigid object under a moving camera
FPS = 10.0


@dataclasses.dataclass
class ProceduralMotion:
    """One video's motion (implements :class:`herd.synth.types.Motion`).

    Attributes:
        num_frames: ``F``.
        local_rot: ``(F, J, 3, 3)`` joint rotations relative to the parent's frame.
        obj2world: ``(F, 4, 4)`` object to world (root trajectory and heading).
        name: the actions, e.g. ``"walk+turn"``.
        speed: the per-video speed factor.
    """

    num_frames: int
    local_rot: np.ndarray
    obj2world: np.ndarray
    name: str
    speed: float


def _leg_swing(theta: np.ndarray, upper: float, lower: float):
    """Upper-joint pitch and lower-joint flexion for a gait phase ``theta`` ``(F,)``."""
    swing = np.clip(np.sin(theta + np.pi / 2), 0, None) ** 2
    return upper * np.sin(theta), lower * swing


def _quad_action(sk: Skeleton, action: str, t: np.ndarray, speed: float, rng: np.random.Generator):
    F, J = len(t), sk.num_joints
    ang = np.zeros((F, J, 3))
    j = sk.index
    if action in ("walk", "trot", "turn"):
        freq, upper, lower, v = {
            "walk": (1.1, 0.35, 0.6, 0.9),
            "trot": (2.0, 0.5, 0.9, 2.0),
            "turn": (1.0, 0.3, 0.5, 0.3),
        }[action]
        phases = {
            "walk": {"bl": 0.0, "fl": 0.25, "br": 0.5, "fr": 0.75},
            "trot": {"fl": 0.0, "br": 0.0, "fr": 0.5, "bl": 0.5},
        }.get(action, {"bl": 0.0, "fl": 0.25, "br": 0.5, "fr": 0.75})
        base = 2 * np.pi * freq * speed * t + rng.uniform(0, 2 * np.pi)
        for leg, ph in phases.items():
            th = base + 2 * np.pi * ph
            up, low = _leg_swing(th, upper, lower)
            if leg[0] == "f":
                ang[:, j(f"{leg}_shoulder"), 0] = up
                ang[:, j(f"{leg}_elbow"), 0] = low
                ang[:, j(f"{leg}_wrist"), 0] = 0.5 * low
            else:
                ang[:, j(f"{leg}_hip"), 0] = up
                ang[:, j(f"{leg}_knee"), 0] = -low
                ang[:, j(f"{leg}_ankle"), 0] = 0.6 * low
        for n in ("spine1", "spine2"):
            ang[:, j(n), 1] = 0.05 * np.sin(base)
        ang[:, j("head"), 0] = 0.06 * np.sin(2 * base)
        yaw_rate = (
            np.full(F, rng.choice([-1, 1]) * np.deg2rad(rng.uniform(45, 75))) if action == "turn" else np.zeros(F)
        )
        if action == "turn":
            for n in ("spine1", "spine2", "chest", "neck"):
                ang[:, j(n), 1] = 0.12 * np.sign(yaw_rate)
        return ang, np.full(F, v * speed), yaw_rate
    if action == "sit":
        ang[:, j("pelvis"), 0] = -0.55
        for s in ("bl", "br"):
            ang[:, j(f"{s}_hip"), 0] = -0.9
            ang[:, j(f"{s}_knee"), 0] = 1.9
            ang[:, j(f"{s}_ankle"), 0] = -1.1
        for s in ("fl", "fr"):
            ang[:, j(f"{s}_shoulder"), 0] = 0.55
        ang[:, j("neck"), 0] = 0.25 + 0.1 * np.sin(2 * np.pi * 0.4 * t)
        ang[:, j("head"), 1] = 0.4 * np.sin(2 * np.pi * 0.3 * speed * t)
        return ang, np.zeros(F), np.zeros(F)
    raise ValueError(f"unknown quadruped action {action!r}")


def _human_action(sk: Skeleton, action: str, t: np.ndarray, speed: float, rng: np.random.Generator):
    F, J = len(t), sk.num_joints
    ang = np.zeros((F, J, 3))
    j = sk.index
    ang[:, j("l_shoulder"), 2] = -1.2  # arms down from the T-pose
    ang[:, j("r_shoulder"), 2] = 1.2
    if action in ("walk", "run", "turn"):
        freq, hip, knee, arm, elbow, v = {
            "walk": (0.9, 0.45, 0.8, 0.35, 0.3, 1.0),
            "run": (1.4, 0.7, 1.5, 0.6, 1.3, 2.5),
            "turn": (0.8, 0.3, 0.6, 0.25, 0.3, 0.25),
        }[action]
        base = 2 * np.pi * freq * speed * t + rng.uniform(0, 2 * np.pi)
        for side, ph in (("l", 0.0), ("r", np.pi)):
            up, low = _leg_swing(base + ph, hip, knee)
            ang[:, j(f"{side}_hip"), 0] = -up
            ang[:, j(f"{side}_knee"), 0] = low
            ang[:, j(f"{side}_ankle"), 0] = -0.3 * low
            ang[:, j(f"{side}_shoulder"), 0] = arm * np.sin(base + ph)
            ang[:, j(f"{side}_elbow"), 1] = (-elbow if side == "l" else elbow) * (1 + 0.3 * np.sin(base + ph))
        ang[:, j("spine"), 0] = 0.2 if action == "run" else 0.03
        ang[:, j("chest"), 1] = 0.08 * np.sin(base)
        yaw_rate = (
            np.full(F, rng.choice([-1, 1]) * np.deg2rad(rng.uniform(50, 80))) if action == "turn" else np.zeros(F)
        )
        return ang, np.full(F, v * speed), yaw_rate
    if action == "crouch":
        depth = 0.5 + 0.5 * np.sin(2 * np.pi * 0.35 * speed * t - np.pi / 2)  # down and up
        for side in ("l", "r"):
            ang[:, j(f"{side}_hip"), 0] = -1.3 * depth
            ang[:, j(f"{side}_knee"), 0] = 2.0 * depth
            ang[:, j(f"{side}_ankle"), 0] = -0.7 * depth
            ang[:, j(f"{side}_shoulder"), 0] = -1.0 * depth
        ang[:, j("spine"), 0] = 0.45 * depth
        return ang, np.zeros(F), np.zeros(F)
    if action == "wave":
        ang[:, j("r_shoulder"), 2] = -1.1
        ang[:, j("r_elbow"), 2] = -0.9 + 0.5 * np.sin(2 * np.pi * 1.6 * speed * t)
        ang[:, j("l_shoulder"), 0] = 0.1 * np.sin(2 * np.pi * 0.5 * t)
        ang[:, j("head"), 1] = 0.2 * np.sin(2 * np.pi * 0.4 * t)
        return ang, np.zeros(F), np.zeros(F)
    raise ValueError(f"unknown human action {action!r}")


def _timeline(F: int, n: int, rng: np.random.Generator, fade: int = 6) -> np.ndarray:
    """``(n, F)`` blend weights of ``n`` consecutive actions with smooth cross-fades."""
    if n == 1:
        return np.ones((1, F))
    cut = int(F * rng.uniform(0.35, 0.65))
    x = np.clip((np.arange(F) - cut) / fade + 0.5, 0, 1)
    s = x * x * (3 - 2 * x)
    return np.stack([1 - s, s])


def make_motion(
    skeleton: Skeleton, num_frames: int, rng: np.random.Generator, actions: list[str] | None = None, fps: float = FPS
) -> ProceduralMotion:
    """Draw a motion for a built-in skeleton.

    Args:
        skeleton: ``human`` or ``quad`` with the individual's rest joints; used to put the lowest
            joint on the ground at every frame.
        num_frames: ``F``.
        rng: the video's random generator.
        actions: force these actions (one or two, in order); random when None.
    """
    kind = skeleton.name
    if kind not in ACTIONS:
        raise ValueError(f"procedural motion needs a built-in skeleton, not {kind!r}")
    F, J = num_frames, skeleton.num_joints
    t = np.arange(F) / fps
    speed = float(rng.uniform(0.8, 1.25))
    if actions is None:
        n = int(rng.integers(1, 3))
        actions = list(rng.choice(ACTIONS[kind], size=n, replace=False))
    if actions == [STILL]:
        local_rot = np.tile(np.eye(3), (F, J, 1, 1))
        pos = np.zeros(3)  # the rest pose already stands on the ground
        yaw = rng.uniform(0, 2 * np.pi)
        R = axis_angle_to_matrix(np.array([0.0, yaw, 0.0]))
        return ProceduralMotion(
            num_frames=F,
            local_rot=local_rot,
            obj2world=np.tile(make_transform(R, pos), (F, 1, 1)),
            name=STILL,
            speed=speed,
        )
    unknown = [a for a in actions if a not in ACTIONS[kind]]
    if unknown:
        raise ValueError(f"unknown {kind} action {unknown[0]!r}; choose from {', '.join(ACTIONS[kind])} or {STILL}")
    weights = _timeline(F, len(actions), rng)
    fn = _quad_action if kind == "quad" else _human_action
    ang = np.zeros((F, J, 3))
    v = np.zeros(F)
    yaw_rate = np.zeros(F)
    for w, a in zip(weights, actions):
        a_ang, a_v, a_yaw = fn(skeleton, a, t, speed, rng)
        ang += w[:, None, None] * a_ang
        v += w * a_v
        yaw_rate += w * a_yaw
    # smooth random variation on every joint and on the heading
    f = rng.uniform(0.2, 0.8, size=(3, J, 3))
    ph = rng.uniform(0, 2 * np.pi, size=(3, J, 3))
    amp = rng.uniform(0.02, 0.06, size=(3, J, 3))
    ang += (amp[None] * np.sin(2 * np.pi * f[None] * t[:, None, None, None] + ph[None])).sum(1)
    yaw_rate += np.deg2rad(10) * np.sin(2 * np.pi * rng.uniform(0.1, 0.3) * t + rng.uniform(0, 2 * np.pi))
    local_rot = euler_xyz_to_matrix(ang)
    # root trajectory on the ground plane, heading = yaw about world +y
    heading = rng.uniform(0, 2 * np.pi) + np.concatenate([[0.0], np.cumsum(yaw_rate[:-1]) / fps])
    fwd = np.stack([np.sin(heading), np.zeros(F), np.cos(heading)], axis=1)
    pos = np.concatenate([[np.zeros(3)], np.cumsum(fwd[:-1] * v[:-1, None] / fps, axis=0)])
    joint2obj, _ = forward_kinematics(skeleton.parents, skeleton.rest_joints, local_rot)
    lowest = joint2obj[:, :, 1, 3].min(axis=1)
    pos[:, 1] = -lowest + skeleton.rest_joints[:, 1].min()
    R = axis_angle_to_matrix(heading[:, None] * np.array([0.0, 1.0, 0.0]))
    return ProceduralMotion(
        num_frames=F, local_rot=local_rot, obj2world=make_transform(R, pos), name="+".join(actions), speed=speed
    )
