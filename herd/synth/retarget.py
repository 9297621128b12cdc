"""Retargeting by joint rotations between a built-in skeleton and a mapped asset rig.

A built-in motion gives each built-in joint ``h`` a global rotation ``G_h(t)`` relative to its
rest frame (forward kinematics of its local rotations; :mod:`herd.geometry.skeleton`). On the
asset, the joint ``a`` that ``h`` is mapped to turns by ``D_a = G_h @ C_h``, where ``C_h`` is the
smallest rotation taking the asset's rest bone direction (from ``h`` to its only built-in child)
onto the built-in one, so that every posed bone points where the built-in bone points whatever
the asset's rest pose (T-pose, A-pose). Unmapped asset joints (fingers, clavicles, twist bones)
turn with their parent. Positions follow the asset's own bone lengths; a mapped joint hangs from
the joint its built-in parent is mapped to, so rigs whose feet are not children of their shins
(IK rigs) still walk. :func:`builtin_rotations` runs the other way: an asset pose as built-in
local rotations, for putting one asset's clip on another asset's body.

All positions and transforms are in the body's object space (+y up, +z forward, metres); ``F``
frames, ``J`` asset joints, ``H`` built-in joints. A skinning transform ``skin_a`` maps rest-pose
points attached to joint ``a`` to their posed place.
"""

from __future__ import annotations

import numpy as np

from herd.geometry.skeleton import forward_kinematics
from herd.synth.joint_map import JointMap


def _align(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(3, 3)`` smallest rotation taking direction ``a`` onto direction ``b`` (identity if either is 0)."""
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na < 1e-9 or nb < 1e-9:
        return np.eye(3)
    a, b = a / na, b / nb
    v, c = np.cross(a, b), float(np.dot(a, b))
    if c < -1 + 1e-9:  # opposite: half a turn about any axis perpendicular to a
        axis = np.cross(a, [1.0, 0.0, 0.0]) if abs(a[0]) < 0.9 else np.cross(a, [0.0, 1.0, 0.0])
        axis /= np.linalg.norm(axis)
        return 2 * np.outer(axis, axis) - np.eye(3)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1 + c)


def bone_alignment(jm: JointMap, rest: np.ndarray | None = None) -> np.ndarray:
    """``(H, 3, 3)`` ``C_h``: asset rest bone direction onto the built-in one, for joints with one
    built-in child (identity for the others). ``rest``: ``(H, 3)`` built-in joints on the body
    (default :attr:`JointMap.rest`)."""
    tgt = jm.target
    rest = jm.rest if rest is None else rest
    H = tgt.num_joints
    C = np.tile(np.eye(3), (H, 1, 1))
    for h in range(H):
        kids = tgt.children(h)
        if len(kids) == 1:
            c = kids[0]
            C[h] = _align(rest[c] - rest[h], tgt.rest_joints[c] - tgt.rest_joints[h])
    return C


def _owners(jm: JointMap) -> dict[int, int]:
    """Asset joint -> the built-in joint it is exactly (the first one, if several)."""
    out: dict[int, int] = {}
    for h, (a, ex) in enumerate(zip(jm.asset_joint, jm.exact)):
        if ex and int(a) not in out:
            out[int(a)] = h
    return out


def _kinematic_order(parents: np.ndarray, jm: JointMap, owners: dict[int, int]) -> tuple[np.ndarray, list[int]]:
    """Kinematic parent of every asset joint and an order with parents first."""
    kp = np.asarray(parents, dtype=np.int64).copy()
    tp = jm.target.parents
    for a, h in owners.items():
        if h > 0 and int(jm.asset_joint[tp[h]]) != a:
            kp[a] = int(jm.asset_joint[tp[h]])
    J = len(kp)
    order, state = [], np.zeros(J, dtype=np.int64)  # 0 new, 1 visiting, 2 done

    def visit(a: int) -> None:
        stack = [a]
        while stack:
            j = stack[-1]
            p = int(kp[j])
            if p >= 0 and state[p] == 1:  # a cycle through a strange mapping: use the tree
                kp[j] = parents[j]
                p = int(kp[j])
            if p >= 0 and state[p] == 0:
                state[j] = 1
                stack.append(p)
                continue
            stack.pop()
            if state[j] != 2:
                state[j] = 2
                order.append(j)

    for a in range(J):
        if state[a] == 0:
            visit(a)
    return kp, order


def retarget(
    parents: np.ndarray, rest_joints: np.ndarray, jm: JointMap, builtin_rest: np.ndarray, local_rot: np.ndarray
) -> np.ndarray:
    """Skinning transforms of an asset rig driven by built-in joint rotations.

    Args:
        parents: ``(J,)`` the asset skeleton's parents.
        rest_joints: ``(J, 3)`` the body's rest joints.
        jm: the asset's joint map.
        builtin_rest: ``(H, 3)`` where the built-in joints sit on this body at rest.
        local_rot: ``(F, H, 3, 3)`` built-in local joint rotations (the root's in object space).
    Returns:
        ``(F, J, 4, 4)`` skinning transforms (rest to posed, object space).
    """
    tgt = jm.target
    G = forward_kinematics(tgt.parents, tgt.rest_joints, local_rot)[0][..., :3, :3]  # (F, H, 3, 3)
    C = bone_alignment(jm, builtin_rest)
    owners = _owners(jm)
    kp, order = _kinematic_order(parents, jm, owners)
    F, J = local_rot.shape[0], len(parents)
    D = np.zeros((F, J, 3, 3))
    pos = np.zeros((F, J, 3))
    for a in order:
        p = int(kp[a])
        if a in owners:
            D[:, a] = G[:, owners[a]] @ C[owners[a]]
        elif p >= 0:
            D[:, a] = D[:, p]
        else:
            D[:, a] = np.eye(3)
        if p < 0:
            pos[:, a] = rest_joints[a]
        else:
            pos[:, a] = pos[:, p] + D[:, p] @ (rest_joints[a] - rest_joints[p])
    skin = np.zeros((F, J, 4, 4))
    skin[..., :3, :3] = D
    skin[..., :3, 3] = pos - np.einsum("fjab,jb->fja", D, rest_joints)
    skin[..., 3, 3] = 1.0
    return skin


def builtin_rotations(jm: JointMap, builtin_rest: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Built-in local joint rotations ``(F, H, 3, 3)`` of an asset pose given as skinning
    transforms ``(F, J, 4, 4)`` (the inverse of :func:`retarget` for the mapped joints)."""
    tgt = jm.target
    C = bone_alignment(jm, builtin_rest)
    R = skin[..., :3, :3]
    R = R / np.cbrt(np.linalg.det(R))[..., None, None]  # drop any uniform scale
    G = np.einsum("fhab,hcb->fhac", R[:, jm.asset_joint], C)  # D_a @ C_h^T
    local = G.copy()
    for h in range(1, tgt.num_joints):
        local[:, h] = np.swapaxes(G[:, tgt.parents[h]], -1, -2) @ G[:, h]
    return local
