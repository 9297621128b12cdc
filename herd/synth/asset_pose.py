"""Posing a rig in raw glTF units: joint transforms at a clip time (or the bind pose) and linear
blend skinning of vertices with them. Shared by the asset loader (which clips keep the body
standing), the bodies and the motions of :mod:`herd.synth.asset`."""

from __future__ import annotations

import numpy as np

from herd.synth.asset_rig import Asset
from herd.synth.gltf_clips import Clip
from herd.synth.gltf_decode import trs


def pose_world(asset: Asset, bone_scale: np.ndarray, clip: Clip | None, t: float) -> np.ndarray:
    """``(J, 4, 4)`` ``joint2world`` (raw units) at clip time ``t``, bind pose if ``clip`` is ``None``.

    Each non-root joint's local translation is multiplied by ``bone_scale[j]`` (``(J,)``).
    """
    nodes = asset.nodes
    parents = asset.skeleton.parents
    over = clip.overrides(t) if clip is not None else {}

    def local(i: int) -> np.ndarray:
        o = over.get(i)
        if not o:
            return nodes[i].matrix
        n = nodes[i]
        return trs(o.get("translation", n.translation), o.get("rotation", n.rotation), o.get("scale", n.scale))

    chain = []
    i = asset.root_parent
    while i >= 0:
        chain.append(i)
        i = nodes[i].parent
    base = np.eye(4)
    for i in reversed(chain):
        base = base @ (local(i) if clip is not None else nodes[i].matrix)
    J = len(parents)
    out = np.empty((J, 4, 4))
    for j in range(J):
        m = asset.bind_local[j].copy() if clip is None else local(int(asset.joint_nodes[j])).copy()
        if j > 0:
            m[:3, 3] *= bone_scale[j]
        out[j] = (base if j == 0 else out[parents[j]]) @ m
    return out


def blend_skin(skin_joints: np.ndarray, skin_weights: np.ndarray, mats: np.ndarray, verts: np.ndarray) -> np.ndarray:
    """``(V, 3)`` linear blend skinning of ``verts`` with ``(J, 4, 4)`` transforms."""
    m = mats[skin_joints]  # (V, K, 4, 4)
    per = np.einsum("vkab,vb->vka", m[..., :3, :3], verts) + m[..., :3, 3]
    return np.einsum("vk,vka->va", skin_weights, per)
