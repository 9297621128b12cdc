"""The built-in skeletons, ``human`` (19 joints) and ``quad`` (25 joints), as data.

Rest poses are in object space (+y up, +z forward, +x to the body's left, metres): the human
stands in a T-pose with the pelvis 0.95 m above the ground, the quadruped stands on four straight
legs with its back 0.56 m above the ground and faces +z. The synthetic generator and the model use
these very definitions.
"""

from __future__ import annotations

import numpy as np

from herd.geometry.skeleton import Skeleton


def _mirror_name(name: str) -> str:
    for a, b in (("l_", "r_"), ("r_", "l_"), ("fl_", "fr_"), ("fr_", "fl_"), ("bl_", "br_"), ("br_", "bl_")):
        if name.startswith(a):
            return b + name[len(a) :]
    return name


def _build(name: str, joints: list[tuple[str, str | None, tuple[float, float, float]]]) -> Skeleton:
    """Make a skeleton from ``(joint, parent, rest position)`` rows; left joints have ``x > 0``."""
    names = [j[0] for j in joints]
    parents = [-1 if j[1] is None else names.index(j[1]) for j in joints]
    rest = np.array([j[2] for j in joints], dtype=np.float64)
    symmetry = [names.index(_mirror_name(n)) for n in names]
    return Skeleton(
        name=name, joint_names=tuple(names), parents=np.array(parents), rest_joints=rest, symmetry=np.array(symmetry)
    )


def _sided(prefix_l: str, prefix_r: str, rows: list[tuple[str, str | None, tuple[float, float, float]]]):
    """Left rows as given (x > 0) plus their mirror images on the right."""
    out = []
    for pre, sx in ((prefix_l, 1.0), (prefix_r, -1.0)):
        for n, p, (x, y, z) in rows:
            parent = p if p is None or not p.startswith("*") else pre + p[1:]
            out.append((pre + n, parent, (sx * x, y, z)))
    return out


HUMAN = _build(
    "human",
    [
        ("pelvis", None, (0.0, 0.95, 0.0)),
        ("spine", "pelvis", (0.0, 1.12, -0.01)),
        ("chest", "spine", (0.0, 1.32, 0.0)),
        ("neck", "chest", (0.0, 1.50, 0.0)),
        ("head", "neck", (0.0, 1.62, 0.02)),
    ]
    + _sided(
        "l_",
        "r_",
        [
            ("shoulder", "chest", (0.19, 1.43, 0.0)),
            ("elbow", "*shoulder", (0.46, 1.43, 0.0)),
            ("hand", "*elbow", (0.71, 1.43, 0.0)),
        ],
    )
    + _sided(
        "l_",
        "r_",
        [
            ("hip", "pelvis", (0.10, 0.92, 0.0)),
            ("knee", "*hip", (0.10, 0.50, 0.01)),
            ("ankle", "*knee", (0.10, 0.09, -0.01)),
            ("foot", "*ankle", (0.10, 0.03, 0.13)),
        ],
    ),
)

QUAD = _build(
    "quad",
    [
        ("pelvis", None, (0.0, 0.55, -0.30)),
        ("spine1", "pelvis", (0.0, 0.56, -0.10)),
        ("spine2", "spine1", (0.0, 0.57, 0.08)),
        ("chest", "spine2", (0.0, 0.57, 0.25)),
        ("neck", "chest", (0.0, 0.68, 0.38)),
        ("head", "neck", (0.0, 0.78, 0.50)),
    ]
    + _sided(
        "fl_",
        "fr_",
        [
            ("shoulder", "chest", (0.10, 0.50, 0.27)),
            ("elbow", "*shoulder", (0.10, 0.29, 0.25)),
            ("wrist", "*elbow", (0.10, 0.08, 0.27)),
            ("paw", "*wrist", (0.10, 0.02, 0.32)),
        ],
    )
    + _sided(
        "bl_",
        "br_",
        [
            ("hip", "pelvis", (0.10, 0.50, -0.30)),
            ("knee", "*hip", (0.10, 0.30, -0.25)),
            ("ankle", "*knee", (0.10, 0.10, -0.33)),
            ("paw", "*ankle", (0.10, 0.02, -0.29)),
        ],
    )
    + [
        ("tail1", "pelvis", (0.0, 0.58, -0.42)),
        ("tail2", "tail1", (0.0, 0.57, -0.57)),
        ("tail3", "tail2", (0.0, 0.54, -0.72)),
    ],
)

BUILTIN: dict[str, Skeleton] = {"human": HUMAN, "quad": QUAD}


def get_skeleton(name: str) -> Skeleton:
    """The built-in skeleton called ``name`` (``human`` or ``quad``)."""
    try:
        return BUILTIN[name]
    except KeyError:
        raise KeyError(f"unknown skeleton {name!r}; built-in skeletons are {sorted(BUILTIN)}") from None
