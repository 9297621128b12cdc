"""Kinematic skeletons: a joint tree with rest positions, and forward kinematics in NumPy.

A skeleton is data (names, parents, rest positions, left/right symmetry). Joint ``j`` carries a
local rotation ``R_j``; its rest frame is the identity rotation placed at ``rest_joints[j]``.
Forward kinematics gives, per joint, ``joint2obj`` (the posed frame of the joint) and the
skinning transform ``skin_j = joint2obj_j @ inv(rest_joint2obj_j)`` that moves rest-pose points
attached to joint ``j`` to their posed position, both in object space.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np


@dataclasses.dataclass(frozen=True)
class Skeleton:
    """A joint tree in object space (+y up, +z forward, +x left, metres).

    Attributes:
        name: skeleton type, e.g. ``"human"``, ``"quad"`` or the asset it came from.
        joint_names: ``J`` unique names.
        parents: ``(J,)`` parent index per joint, ``-1`` for the root (joint 0).
        rest_joints: ``(J, 3)`` rest joint positions in object space.
        symmetry: ``(J,)`` index of the mirrored joint (left <-> right), itself for centre joints.
    """

    name: str
    joint_names: tuple[str, ...]
    parents: np.ndarray
    rest_joints: np.ndarray
    symmetry: np.ndarray

    def __post_init__(self) -> None:
        J = len(self.joint_names)
        object.__setattr__(self, "parents", np.asarray(self.parents, dtype=np.int64))
        object.__setattr__(self, "rest_joints", np.asarray(self.rest_joints, dtype=np.float64))
        object.__setattr__(self, "symmetry", np.asarray(self.symmetry, dtype=np.int64))
        if self.parents.shape != (J,) or self.rest_joints.shape != (J, 3) or self.symmetry.shape != (J,):
            raise ValueError(f"skeleton {self.name}: inconsistent sizes for {J} joints")
        if self.parents[0] != -1 or np.any(self.parents[1:] < 0):
            raise ValueError(f"skeleton {self.name}: joint 0 must be the only root")
        if np.any(self.parents[1:] >= np.arange(1, J)):
            raise ValueError(f"skeleton {self.name}: parents must come before their children")
        if len(set(self.joint_names)) != J:
            raise ValueError(f"skeleton {self.name}: joint names must be unique")

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    @property
    def bone_children(self) -> np.ndarray:
        """``(B,)`` child joint of each bone; bone ``b`` goes from ``parents[c]`` to ``c``."""
        return np.arange(1, self.num_joints)

    def index(self, name: str) -> int:
        return self.joint_names.index(name)

    def children(self, j: int) -> list[int]:
        return [int(c) for c in np.nonzero(self.parents == j)[0]]

    def bone_lengths(self, rest_joints: np.ndarray | None = None) -> np.ndarray:
        """``(B,)`` length of each bone (parent to child), in metres."""
        rest = self.rest_joints if rest_joints is None else rest_joints
        c = self.bone_children
        return np.linalg.norm(rest[c] - rest[self.parents[c]], axis=-1)

    def scaled_rest_joints(self, bone_scale: np.ndarray) -> np.ndarray:
        """Rest joints with every bone's length multiplied by ``bone_scale``.

        Args:
            bone_scale: ``(B,)`` factor per bone, indexed like :attr:`bone_children`.
        Returns:
            ``(J, 3)`` rest joint positions in object space; the root stays where it is.
        """
        rest = self.rest_joints
        out = rest.copy()
        for b, c in enumerate(self.bone_children):
            p = self.parents[c]
            out[c] = out[p] + bone_scale[b] * (rest[c] - rest[p])
        return out

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "joint_names": list(self.joint_names),
            "parents": self.parents.tolist(),
            "rest_joints": np.round(self.rest_joints, 6).tolist(),
            "symmetry": self.symmetry.tolist(),
        }

    @staticmethod
    def from_json(d: dict) -> Skeleton:
        return Skeleton(
            name=str(d["name"]),
            joint_names=tuple(d["joint_names"]),
            parents=np.asarray(d["parents"]),
            rest_joints=np.asarray(d["rest_joints"], dtype=np.float64),
            symmetry=np.asarray(d["symmetry"]),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Skeleton) and json.dumps(self.to_json()) == json.dumps(other.to_json())

    __hash__ = None  # type: ignore[assignment]


def forward_kinematics(
    parents: np.ndarray, rest_joints: np.ndarray, local_rot: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Posed joint frames and skinning transforms.

    Args:
        parents: ``(J,)`` parent indices, ``-1`` for the root; parents precede children.
        rest_joints: ``(J, 3)`` rest joint positions in object space.
        local_rot: ``(..., J, 3, 3)`` rotation of each joint relative to its parent's frame
            (the root's is relative to object space, about the root joint).
    Returns:
        joint2obj: ``(..., J, 4, 4)`` posed frame of every joint in object space.
        skin: ``(..., J, 4, 4)`` ``joint2obj @ inv(rest_joint2obj)``: maps rest-pose points
            attached to a joint to posed object space.
    """
    J = len(parents)
    batch = local_rot.shape[:-3]
    joint2obj = np.zeros(batch + (J, 4, 4))
    joint2obj[..., 3, 3] = 1.0
    for j in range(J):
        p = parents[j]
        if p < 0:
            joint2obj[..., j, :3, :3] = local_rot[..., j, :, :]
            joint2obj[..., j, :3, 3] = rest_joints[j]
        else:
            Rp = joint2obj[..., p, :3, :3]
            joint2obj[..., j, :3, :3] = Rp @ local_rot[..., j, :, :]
            offset = rest_joints[j] - rest_joints[p]
            joint2obj[..., j, :3, 3] = joint2obj[..., p, :3, 3] + np.einsum("...ij,j->...i", Rp, offset)
    skin = joint2obj.copy()
    skin[..., :3, 3] -= np.einsum("...jab,jb->...ja", joint2obj[..., :3, :3], rest_joints)
    return joint2obj, skin
