"""Joint names and joint mapping: an asset's skeleton onto herd's ``human`` or ``quad`` skeleton.

- :func:`~herd.synth.joint_names.symmetry_map` pairs left and right joints (by names, else by
  mirrored positions; :mod:`herd.synth.joint_names`).
- :func:`map_joints` finds, for every joint of a built-in skeleton, the asset joint it moves with
  and where it sits on the asset (:class:`JointMap`). Humans are mapped by name when the names
  say which joints are the hips, knees, shoulders and elbows: Mixamo (``mixamorig:LeftUpLeg``),
  Blender and Rigify (``DEF-thigh.L``, ``upper_arm.L``), game-engine style (``upperarm_l``,
  ``calf_r``) and similar; the torso comes from the tree (pelvis = the joint both legs hang
  under, chest = the joint both arms hang under). Otherwise, and for quadrupeds, a geometric
  fallback reads the rest pose: feet are the lowest leaf joints, hands the outermost high ones,
  head and tail the extreme ones, and each limb's joints are spread along the path to its end by
  the built-in skeleton's proportions. A built-in joint with no asset joint of its own is a
  *virtual* point that moves rigidly with the nearest mapped joint above it.

Positions are in the asset's object space (+y up, +z forward, +x left; see
:mod:`herd.synth.asset_rig`). Retargeting by joint rotations lives in :mod:`herd.synth.retarget`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from herd.geometry.skeleton import Skeleton
from herd.synth.joint_names import forward_yaw, name_parts, symmetry_map, unique_names

__all__ = ["HUMAN_NAMES", "JointMap", "forward_yaw", "guess_kind", "map_joints", "symmetry_map", "unique_names"]

# ----------------------------------------------------------------------------------------------
# Mapping onto a built-in skeleton

#: Human joint -> base names that mean it (sided joints need a side).
HUMAN_NAMES = {
    "hip": ("upleg", "thigh", "upperleg", "uleg", "hip", "femur", "upleg"),
    "knee": ("leg", "shin", "calf", "lowerleg", "knee", "loleg", "tibia", "lleg"),
    "ankle": ("foot", "ankle"),
    "foot": ("toebase", "toe", "toes", "ball"),
    "shoulder": ("arm", "upperarm", "uparm", "humerus", "uarm"),
    "elbow": ("forearm", "lowerarm", "elbow", "loarm", "larm"),
    "hand": ("hand", "wrist"),
    "neck": ("neck",),
    "head": ("head",),
}


@dataclasses.dataclass(frozen=True, eq=False)
class JointMap:
    """Where each joint of a built-in skeleton sits on an asset.

    Attributes:
        kind: ``"human"`` or ``"quad"``.
        target: the built-in skeleton (``H`` joints).
        asset_joint: ``(H,)`` asset joint each built-in joint moves with.
        rest: ``(H, 3)`` position of each built-in joint on the asset's bind pose (object space).
        exact: ``(H,)`` True where the built-in joint is an asset joint (else a virtual point).
        how: ``"names"`` or ``"geometry"``.
    """

    kind: str
    target: Skeleton
    asset_joint: np.ndarray
    rest: np.ndarray
    exact: np.ndarray
    how: str

    def skeleton(self, rest: np.ndarray | None = None) -> Skeleton:
        """The built-in skeleton with this asset's rest joints (or ``rest``, ``(H, 3)``)."""
        return dataclasses.replace(self.target, rest_joints=self.rest if rest is None else rest)


def guess_kind(rest_verts: np.ndarray) -> str:
    """``"human"`` for a body taller than it is long (object space, +z forward), else ``"quad"``."""
    ext = np.ptp(rest_verts, axis=0)
    return "human" if ext[1] > 1.2 * ext[2] else "quad"


class _Tree:
    """Parents, children, depth and rest positions of an asset skeleton."""

    def __init__(self, sk: Skeleton):
        self.sk = sk
        self.parents = sk.parents
        self.pos = sk.rest_joints
        J = sk.num_joints
        self.children: list[list[int]] = [[] for _ in range(J)]
        for j in range(1, J):
            self.children[self.parents[j]].append(j)
        self.depth = np.zeros(J, dtype=np.int64)
        for j in range(1, J):
            self.depth[j] = self.depth[self.parents[j]] + 1
        self.leaves = [j for j in range(J) if not self.children[j]]

    def up(self, j: int) -> list[int]:
        """``j`` and its ancestors up to the root."""
        out = []
        while j >= 0:
            out.append(j)
            j = int(self.parents[j])
        return out

    def lca(self, a: int, b: int) -> int:
        ups = set(self.up(a))
        return next(j for j in self.up(b) if j in ups)

    def path(self, a: int, b: int) -> list[int]:
        """Joints from ``a`` (excluded) down to its descendant ``b`` (included); ``[]`` if ``b`` is not below ``a``."""
        chain = self.up(b)
        if a not in chain:
            return []
        return list(reversed(chain[: chain.index(a)]))

    def is_below(self, j: int, a: int) -> bool:
        return a in self.up(j)


def _herd_fractions(target: Skeleton, chain: list[str]) -> np.ndarray:
    """Cumulative length fractions of ``chain[1:]`` along a built-in chain of joint names."""
    p = target.rest_joints[[target.index(n) for n in chain]]
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(p, axis=0), axis=1))])
    return cum[1:] / cum[-1]


def _spread(
    tree: _Tree, start: int, path: list[int], fracs: np.ndarray, pickable: int | None = None, extend: bool = False
) -> list[tuple[int, np.ndarray, bool]]:
    """Built-in joints at length fractions ``fracs`` along ``path`` (asset joints below ``start``).

    Each picks one of the first ``pickable`` path joints (all by default), the one nearest its
    fraction, in order and without repeats. When there are too few: with ``extend`` (a limb whose
    end has no joint) the path's joints are taken in order and the remaining built-in joints are
    virtual points beyond its end, along its last bone, at the built-in spacing; otherwise the
    first built-in joints are virtual points on the path at their fractions. A virtual point moves
    with the path joint before it. Returns ``(asset joint, position, exact)`` per fraction.
    """
    pickable = len(path) if pickable is None else pickable
    pts = tree.pos[[start] + path]
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    total = cum[-1] if len(cum) > 1 and cum[-1] > 0 else 1.0
    f_path = cum[1:] / total
    if extend and pickable < len(fracs):
        out = [(j, tree.pos[j], True) for j in path[:pickable]]
        last = ([start] + path)[pickable]
        prev = tree.pos[([start] + path)[pickable - 1]] if pickable else tree.pos[start] - [0.0, 1.0, 0.0]
        d = tree.pos[last] - prev
        d = d / max(np.linalg.norm(d), 1e-9)
        step = np.diff(np.concatenate([[0.0], fracs]))
        seg = cum[pickable] / max(fracs[pickable - 1], 1e-9) if pickable else total
        p = tree.pos[last].copy()
        for k in range(pickable, len(fracs)):
            p = p + d * step[k] * seg
            out.append((last, p.copy(), False))
        return out
    out, prev = [], -1
    for i, f in enumerate(fracs):
        left = len(fracs) - i  # picks still to make, this one included
        cands = [k for k in range(prev + 1, pickable) if pickable - k >= left]
        if cands:
            k = min(cands, key=lambda c: abs(f_path[c] - f))
            out.append((path[k], tree.pos[path[k]], True))
            prev = k
        else:
            x = np.interp(f, np.concatenate([[0.0], f_path]), np.arange(len(pts)))
            k0 = int(np.floor(x))
            k1 = min(k0 + 1, len(pts) - 1)
            p = pts[k0] + (x - k0) * (pts[k1] - pts[k0])
            out.append((([start] + path)[k0], p, False))
    return out


def _put(res: dict, name: str, pick: tuple[int, np.ndarray, bool]) -> None:
    res[name] = (int(pick[0]), np.asarray(pick[1], dtype=np.float64), bool(pick[2]))


def _named(tree: _Tree) -> dict[tuple[str, str], int]:
    """The shallowest asset joint per (human role, side) found by name."""
    found: dict[tuple[str, str], int] = {}
    for j, name in enumerate(tree.sk.joint_names):
        base, side = name_parts(name)
        for role, words in HUMAN_NAMES.items():
            if base in words and (side != "") == (role not in ("neck", "head")):
                key = (role, side)
                if key not in found or tree.depth[j] < tree.depth[found[key]]:
                    found[key] = j
    return found


def _fill_down(tree: _Tree, res: dict, target: Skeleton, name: str) -> None:
    """A built-in joint missing from ``res``: the asset child of its parent's joint that continues
    the parent bone, else a virtual point at the built-in offset (scaled) from the parent."""
    parent = target.joint_names[target.parents[target.index(name)]]
    a, p, _ = res[parent]
    herd_off = target.rest_joints[target.index(name)] - target.rest_joints[target.index(parent)]
    scale = np.ptp(tree.pos[:, 1]) / max(np.ptp(target.rest_joints[:, 1]), 1e-9)
    kids = [c for c in tree.children[a] if not any(c == r[0] for r in res.values())]
    gp = target.parents[target.index(parent)]
    if kids and gp >= 0:
        d = p - res[target.joint_names[gp]][1]
        best = max(kids, key=lambda c: float(np.dot(tree.pos[c] - p, d)))
        if np.dot(tree.pos[best] - p, d) > 0:
            _put(res, name, (best, tree.pos[best], True))
            return
    _put(res, name, (a, p + scale * herd_off, False))


def _map_human_names(tree: _Tree, target: Skeleton) -> dict | None:
    found = _named(tree)
    core = [(r, s) for r in ("hip", "knee", "shoulder", "elbow") for s in "lr"]
    if any(k not in found for k in core):
        return None
    res: dict = {}
    pelvis = tree.lca(found[("hip", "l")], found[("hip", "r")])
    chest = tree.lca(found[("shoulder", "l")], found[("shoulder", "r")])
    if not tree.is_below(chest, pelvis):
        return None
    _put(res, "pelvis", (pelvis, tree.pos[pelvis], True))
    _put(res, "chest", (chest, tree.pos[chest], True))
    mid = tree.path(pelvis, chest)
    _put(
        res,
        "spine",
        _spread(tree, pelvis, mid, _herd_fractions(target, ["pelvis", "spine", "chest"])[:1], pickable=len(mid) - 1)[0],
    )
    for role in ("neck", "head"):
        j = found.get((role, ""))
        if j is not None and tree.is_below(j, chest):
            _put(res, role, (j, tree.pos[j], True))
    for side in "lr":
        for role in ("shoulder", "elbow", "hand", "hip", "knee", "ankle", "foot"):
            j = found.get((role, side))
            if j is not None:
                _put(res, f"{side}_{role}", (j, tree.pos[j], True))
    for name in target.joint_names:  # parents first
        if name not in res:
            _fill_down(tree, res, target, name)
    return res


def _limb_ends(tree: _Tree, kind: str) -> dict[str, int]:
    """End leaf joints of the limbs, head (and tail) from the rest pose."""
    pos, leaves = tree.pos, tree.leaves
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    H = max(hi[1] - lo[1], 1e-9)
    cx, cz = 0.0, 0.0  # object space is centred on the rest mesh
    ends: dict[str, int] = {}
    if kind == "human":
        for s, sign in (("l", 1.0), ("r", -1.0)):
            side = [j for j in leaves if sign * (pos[j, 0] - cx) > 0.02 * H]
            if not side:
                raise ValueError("no leaf joint on each side")
            ends[f"{s}_foot"] = min(side, key=lambda j: pos[j, 1])
            high = [j for j in side if pos[j, 1] > lo[1] + 0.45 * H] or side
            ends[f"{s}_hand"] = max(high, key=lambda j: sign * pos[j, 0])
        used = set(ends.values())
        ends["head"] = max((j for j in leaves if j not in used), key=lambda j: pos[j, 1] - abs(pos[j, 0] - cx))
        return ends
    for s, sx, front in (("fl", 1, 1), ("fr", -1, 1), ("bl", 1, -1), ("br", -1, -1)):
        quad = [
            j
            for j in leaves
            if sx * (pos[j, 0] - cx) > 0 and front * (pos[j, 2] - cz) > 0 and pos[j, 1] < lo[1] + 0.4 * H
        ]
        if not quad:
            raise ValueError(f"no foot joint at {s}")
        ends[f"{s}_paw"] = min(quad, key=lambda j: pos[j, 1])
    used = set(ends.values())
    rest = [j for j in leaves if j not in used]
    ends["head"] = max(rest, key=lambda j: pos[j, 2])
    tails = [j for j in rest if j != ends["head"] and pos[j, 2] < cz]
    if tails:
        ends["tail3"] = min(tails, key=lambda j: pos[j, 2])
    return ends


def _map_geometry(tree: _Tree, target: Skeleton, kind: str) -> dict:
    ends = _limb_ends(tree, kind)
    res: dict = {}
    if kind == "human":
        legs, arms = ("l_foot", "r_foot"), ("l_hand", "r_hand")
        leg_chain = ["pelvis", "hip", "knee", "ankle", "foot"]
        arm_chain = ["chest", "shoulder", "elbow", "hand"]
        torso, neck_chain = ["pelvis", "spine", "chest"], ["chest", "neck", "head"]
        sides = "lr"
    else:
        legs, arms = ("bl_paw", "br_paw"), ("fl_paw", "fr_paw")
        leg_chain = ["pelvis", "hip", "knee", "ankle", "paw"]
        arm_chain = ["chest", "shoulder", "elbow", "wrist", "paw"]
        torso, neck_chain = ["pelvis", "spine1", "spine2", "chest"], ["chest", "neck", "head"]
        sides = None
    pelvis = tree.lca(ends[legs[0]], ends[legs[1]])
    chest = tree.lca(ends[arms[0]], ends[arms[1]])
    if not tree.is_below(chest, pelvis):
        chest = pelvis
    _put(res, "pelvis", (pelvis, tree.pos[pelvis], True))
    mid = tree.path(pelvis, chest)
    if chest == pelvis:
        up = np.array([0.0, 1.0, 0.0]) if kind == "human" else np.array([0.0, 0.0, 1.0])
        span = 0.25 * np.ptp(tree.pos[:, 1 if kind == "human" else 2])
        for k, n in enumerate(torso[1:], 1):
            _put(res, n, (pelvis, tree.pos[pelvis] + up * span * k / (len(torso) - 1), False))
    else:
        for n, pick in zip(
            torso[1:-1], _spread(tree, pelvis, mid, _herd_fractions(target, torso)[:-1], pickable=len(mid) - 1)
        ):
            _put(res, n, pick)
        _put(res, "chest", (chest, tree.pos[chest], True))
    for n, pick in zip(
        neck_chain[1:],
        _spread(tree, chest, tree.path(chest, ends["head"]) or [ends["head"]], _herd_fractions(target, neck_chain)),
    ):
        _put(res, n, pick)
    prefixes = (("l_", "r_"), ("l_", "r_")) if sides else (("bl_", "br_"), ("fl_", "fr_"))
    for start, chain, names, pre in ((pelvis, leg_chain, legs, prefixes[0]), (chest, arm_chain, arms, prefixes[1])):
        for end, p in zip(names, pre):
            full = [p + n if i else n for i, n in enumerate(chain)]
            path = tree.path(start, ends[end]) or [ends[end]]
            for n, pick in zip(full[1:], _spread(tree, start, path, _herd_fractions(target, full), extend=True)):
                _put(res, n, pick)
    if kind == "quad":
        tail = ["pelvis", "tail1", "tail2", "tail3"]
        if "tail3" in ends and tree.path(pelvis, ends["tail3"]):
            for n, pick in zip(
                tail[1:], _spread(tree, pelvis, tree.path(pelvis, ends["tail3"]), _herd_fractions(target, tail))
            ):
                _put(res, n, pick)
        else:
            for n in tail[1:]:
                _fill_down(tree, res, target, n)
    return res


def map_joints(skeleton: Skeleton, target: Skeleton, kind: str) -> JointMap:
    """Map an asset's skeleton onto a built-in one (see the module docstring).

    Args:
        skeleton: the asset's skeleton, rest joints in object space (bind pose).
        target: the built-in skeleton (``human`` or ``quad``) of ``kind``.
        kind: ``"human"`` or ``"quad"``.
    Returns:
        the :class:`JointMap`.
    Raises:
        ValueError: the rest pose has no recognisable limbs (fewer leaf joints than limbs).
    """
    tree = _Tree(skeleton)
    res = _map_human_names(tree, target) if kind == "human" else None
    how = "names"
    if res is None:
        res, how = _map_geometry(tree, target, kind), "geometry"
    names = target.joint_names
    return JointMap(
        kind=kind,
        target=target,
        asset_joint=np.array([res[n][0] for n in names], dtype=np.int64),
        rest=np.stack([res[n][1] for n in names]),
        exact=np.array([res[n][2] for n in names]),
        how=how,
    )
