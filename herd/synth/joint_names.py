"""Joint names of a rigged asset: made unique, read for a side (left/right) and a base name across
the naming styles of Mixamo, Blender/Rigify and game engines, and paired into left/right
twins (by names, else by mirrored rest positions). Positions are in the asset's object space
(+y up, +z forward, +x left; :mod:`herd.synth.asset_rig`). Used by :mod:`herd.synth.joint_map`."""

from __future__ import annotations

import re

import numpy as np


def unique_names(names: list[str]) -> list[str]:
    """Names made unique (``joint<k>`` for empty ones, ``_1``, ``_2`` ... for repeats)."""
    out: list[str] = []
    for k, given in enumerate(names):
        n = given or f"joint{k}"
        base, i = n, 1
        while n in out:
            n, i = f"{base}_{i}", i + 1
        out.append(n)
    return out


def forward_yaw(names: list[str], joints: np.ndarray) -> float:
    """Yaw (rad, about +y) that turns the head's horizontal direction to +z, 0 if unclear.

    Args:
        names: ``J`` joint names.
        joints: ``(J, 3)`` bind joints in world space.
    """
    heads = [k for k, n in enumerate(names) if "head" in n.lower()]
    if not heads:
        return 0.0
    centre = (joints.min(axis=0) + joints.max(axis=0)) / 2
    d = joints[heads[0]] - centre
    span = float(np.ptp(joints[:, [0, 2]], axis=0).max())
    if span <= 0 or np.hypot(d[0], d[2]) < 0.25 * span:
        return 0.0  # upright body (a person): keep glTF's +z forward
    if abs(d[0]) > abs(d[2]):
        return -np.pi / 2 if d[0] > 0 else np.pi / 2
    return 0.0 if d[2] > 0 else np.pi


_SIDE_WORDS = re.compile(r"left|right", re.IGNORECASE)
_SIDE_TOKENS = re.compile(r"(?:(?<=^)|(?<=[_.\-\s]))([lr]|f[lr]|b[lr]|h[lr])(?=$|[_.\-\s])", re.IGNORECASE)
_TRAILING_NUMBER = re.compile(r"[_.\-]?\d+$")


def _side_key(name: str) -> tuple[str, str] | None:
    """``(name with its side marker replaced by '*', side 'l' or 'r')``, or ``None`` for a centre name."""
    m = _SIDE_WORDS.search(name)
    if m:
        side = m.group(0).lower()[0]
        return (name[: m.start()] + "*" + name[m.end() :]).lower(), side
    m = _SIDE_TOKENS.search(name)
    if m:
        tok = m.group(1).lower()
        side, pre = tok[-1], tok[:-1]
        return (name[: m.start()] + pre + "*" + name[m.end() :]).lower(), side
    return None


def symmetry_map(names: list[str] | tuple[str, ...], rest_joints: np.ndarray, tol: float = 0.03) -> np.ndarray:
    """Mirror joint of every joint, from left/right names, else from mirrored positions.

    Names pair when they differ only by a side marker (``Left``/``Right``, ``_L``/``_R``,
    ``.l``/``.r``, ``l_``/``r_``, ``fl_``/``fr_``, any case), first exactly, then ignoring a
    trailing number (the Fox's ``b_LeftLeg01_015`` and ``b_RightLeg01_019``). Joints left unpaired
    pair with the joint nearest their mirror image (``x -> -x``) if both are each other's nearest
    and closer than ``tol`` times the skeleton's size; otherwise they map to themselves.

    Args:
        names: ``J`` joint names.
        rest_joints: ``(J, 3)`` rest joints in object space (+x left).
        tol: position tolerance as a fraction of the rest joints' bounding-box diagonal.
    Returns:
        ``(J,)`` int index of the mirrored joint.
    """
    J = len(names)
    sym = np.arange(J)
    keys = [_side_key(n) for n in names]
    for strip in (False, True):
        table: dict[tuple[str, str], list[int]] = {}
        for k, key in enumerate(keys):
            if key is None or sym[k] != k:
                continue
            base = _TRAILING_NUMBER.sub("", key[0]) if strip else key[0]
            table.setdefault((base, key[1]), []).append(k)
        for (base, side), ks in table.items():
            if side != "l":
                continue
            other = table.get((base, "r"), [])
            if len(ks) == 1 and len(other) == 1:
                a, b = ks[0], other[0]
                sym[a], sym[b] = b, a
    size = float(np.linalg.norm(np.ptp(rest_joints, axis=0))) or 1.0
    free = np.array([k for k in range(J) if sym[k] == k], dtype=np.int64)
    if len(free) > 1:
        mirrored = rest_joints[free] * np.array([-1.0, 1.0, 1.0])
        dist = np.linalg.norm(mirrored[:, None, :] - rest_joints[free][None, :, :], axis=-1)
        nearest = dist.argmin(axis=1)
        for a in range(len(free)):
            b = nearest[a]
            if b != a and nearest[b] == a and dist[a, b] < tol * size:
                sym[free[a]] = free[b]
    return sym


_NAMESPACE = re.compile(r"^.*:")
_PREFIXES = re.compile(r"^(def|org|mch|bip0*1|b|bn|bone|jnt|j|c)[_\-\s.]", re.IGNORECASE)
_SEPARATORS = re.compile(r"[_.\-\s]")


def name_parts(name: str) -> tuple[str, str]:
    """``(base, side)`` of a joint name: ``"mixamorig:LeftUpLeg"`` -> ``("upleg", "l")``,
    ``"DEF-thigh.L"`` -> ``("thigh", "l")``, ``"calf_r"`` -> ``("calf", "r")``, ``"Neck"`` ->
    ``("neck", "")``: namespace, rig prefixes, a trailing index and separators removed."""
    n = _NAMESPACE.sub("", name)
    for _ in range(2):
        n = _PREFIXES.sub("", n)
    side = ""
    key = _side_key(n)
    if key is not None:
        n, side = key[0].replace("*", ""), key[1]
    n = _TRAILING_NUMBER.sub("", n) if _SEPARATORS.search(n) else n
    return _SEPARATORS.sub("", n).lower(), side
