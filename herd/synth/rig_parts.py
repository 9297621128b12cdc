"""The pieces :func:`herd.synth.asset_rig.build_rig` makes one rig from: the joint nodes of every
skin the scene uses under one root, where each skin's bind pose places its mesh, and every drawn
primitive as a skinned part (vertices with no weight take their nearest weighted neighbour's, with
an :class:`AssetWarning`) or a part riding rigidly on its nearest ancestor joint. Frames as in
:mod:`herd.synth.asset_rig` (world: the glTF scene, raw units)."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from herd.synth.gltf_decode import FIX, GlbFile, Material, Primitive, apply, input_error


class AssetWarning(UserWarning):
    """Something in an asset was repaired on import (one line naming the file and what was done)."""


def warn_asset(path: Path, what: str) -> None:
    warnings.warn(AssetWarning(f"{path}: {what}"), stacklevel=3)


def joint_nodes(glb: GlbFile, prims: list[Primitive]) -> tuple[list[int], dict[int, list[int]]]:
    """Joint nodes in depth-first order from one root, and the skin's node list of each used skin."""
    gltf, nodes, path = glb.gltf, glb.nodes, glb.path
    skins = {nodes[p.node].skin for p in prims if nodes[p.node].skin >= 0 and p.skin_joints is not None}
    if not skins:
        skins = set(range(len(gltf.skins or [])))
    skin_nodes = {s: [int(j) for j in gltf.skins[s].joints] for s in sorted(skins)}
    joint_set = {j for js in skin_nodes.values() for j in js}
    if not joint_set:
        raise input_error(path, "its skin has no joints", FIX)
    roots = sorted({j for j in joint_set if nodes[j].parent not in joint_set})
    if len(roots) > 1:
        chains = [[r] + glb.ancestors(r) for r in roots]
        common = [n for n in chains[0] if all(n in c for c in chains[1:])]
        if not common:
            names = ", ".join(nodes[r].name or f"node {r}" for r in roots[:4])
            raise input_error(
                path,
                f"no recognisable root: the joints hang under {len(roots)} unconnected roots ({names})",
                "parent all joints under one root bone and re-export",
            )
        lca = common[0]
        for c in chains:
            joint_set.update(c[: c.index(lca) + 1])
        roots = [lca]
    order, stack = [], [roots[0]]
    while stack:
        j = stack.pop()
        order.append(j)
        stack.extend(reversed([c for c in nodes[j].children if c in joint_set]))
    return order, skin_nodes


def skin_placement(glb: GlbFile, prims: list[Primitive], skin: int, ibm: np.ndarray, joints: list[int]) -> np.ndarray:
    """``(4, 4)`` where a skin's bind pose sits in world space (its ``mesh2world``).

    glTF ignores a skinned mesh node's transform, but exporters put the bind pose either in world
    space or under the mesh node: take the reading whose joints are closer to their rest placement
    in the node tree.
    """
    users = [p.node for p in prims if glb.nodes[p.node].skin == skin]
    cands = [np.eye(4)] + ([glb.rest_world(users[0])] if users else [])
    bind = np.linalg.inv(ibm)
    rest = np.stack([glb.rest_world(j) for j in joints])
    return min(cands, key=lambda c: float(np.abs(c[None] @ bind - rest)[:, :3, 3].sum()))


def weld(pos: np.ndarray, wdense: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge vertices with equal position and skin weights (glTF duplicates them at UV seams).

    Returns ``(V',)`` index of a kept original vertex per welded vertex and the ``(T, 3)`` faces
    into the welded vertices.
    """
    extent = float(np.ptp(pos, axis=0).max()) if len(pos) else 1.0
    key = np.concatenate([np.round(pos / ((extent or 1.0) * 1e-6)), np.round(wdense * 1e4)], axis=1)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)[faces]


@dataclasses.dataclass
class Part:
    verts: np.ndarray  # (V, 3) world, bind pose
    joints: np.ndarray  # (V, K) skeleton joints
    weights: np.ndarray  # (V, K) normalised
    faces: np.ndarray  # (T, 3)
    uv: np.ndarray  # (T, 3, 2)
    color: np.ndarray  # (T, 3, 3)
    material: Material
    source: np.ndarray  # (V0, 3) world, before welding


def skinned_part(
    glb: GlbFile,
    p: Primitive,
    skin_joint: np.ndarray,
    ibm: np.ndarray,
    place: np.ndarray,
    bind_world: np.ndarray,
    node_joint: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World bind-pose vertices, skeleton joints and normalised weights of a skinned primitive."""
    # the caller checks skin_joints; _read_primitive sets skin_weights with it
    assert p.skin_joints is not None and p.skin_weights is not None
    if p.skin_joints.max(initial=0) >= len(skin_joint) or p.skin_joints.min(initial=0) < 0:
        raise input_error(glb.path, f"mesh {p.label} names a joint its skin does not have", "re-export it")
    w = p.skin_weights.copy()
    total = w.sum(axis=1)
    ok = total > 1e-8
    w[ok] /= total[ok, None]
    joints = skin_joint[p.skin_joints]
    world = apply(place, p.verts)
    if ok.any():
        mesh2world = bind_world[joints[ok]] @ ibm[p.skin_joints[ok]]  # (n, K, 4, 4)
        per = np.einsum("nkab,nb->nka", mesh2world[..., :3, :3], p.verts[ok]) + mesh2world[..., :3, 3]
        world[ok] = np.einsum("nk,nka->na", w[ok], per)
    bad = ~ok
    if bad.any():
        if ok.any():
            _, near = cKDTree(world[ok]).query(world[bad])
            src = np.nonzero(ok)[0][near]
            joints[bad], w[bad] = joints[src], w[src]
            how = "their nearest weighted neighbour's joints"
        else:
            joints[bad], w[bad] = node_joint, 0.0
            w[bad, 0] = 1.0
            how = "the joint their mesh hangs under"
        warn_asset(
            glb.path, f"{int(bad.sum())} of {len(bad)} vertices of mesh {p.label} carry no skin weight; bound to {how}"
        )
    return world, joints, w


def rig_part(glb: GlbFile, p: Primitive, joint_of: dict[int, int], skins: dict, bind_world: np.ndarray) -> Part:
    nodes = glb.nodes
    node = nodes[p.node]
    up = [p.node] + glb.ancestors(p.node)
    node_joint = next((joint_of[n] for n in up if n in joint_of), 0)
    if p.skin_joints is not None and node.skin in skins:
        skin_nodes, ibm, place = skins[node.skin]
        skin_joint = np.array([joint_of[j] for j in skin_nodes], dtype=np.int64)
        world, joints, weights = skinned_part(glb, p, skin_joint, ibm, place, bind_world, node_joint)
    else:
        # Rigid on its joint: placed as the node tree places it, moved with the joint's bind pose.
        jn = int(next((n for n in up if n in joint_of), -1))
        rest = glb.rest_world(p.node)
        if jn >= 0:
            rest = bind_world[node_joint] @ np.linalg.inv(glb.rest_world(jn)) @ rest
        world = apply(rest, p.verts)
        joints = np.full((len(world), 1), node_joint, dtype=np.int64)
        weights = np.ones((len(world), 1))
    J = len(bind_world)
    wdense = np.zeros((len(world), J))
    np.add.at(wdense, (np.arange(len(world))[:, None], joints), weights)
    keep, faces = weld(world, wdense, p.faces)
    good = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    corners = p.faces[good]
    uv = p.uv[corners] if p.uv is not None and p.material.texture is not None else np.zeros(corners.shape + (2,))
    color = p.color[corners] if p.color is not None else np.ones(corners.shape + (3,))
    return Part(
        verts=world[keep],
        joints=joints[keep],
        weights=weights[keep],
        faces=faces[good],
        uv=uv,
        color=color,
        material=p.material,
        source=world,
    )


def no_rig_error(glb: GlbFile, prims: list[Primitive]) -> Exception:
    if any(p.has_morph_targets for p in prims):
        return input_error(
            glb.path,
            "it has morph targets only and no skeleton (skin)",
            "herd poses bodies by joints: add an armature, skin the mesh to it and re-export",
        )
    return input_error(
        glb.path,
        "no skinned mesh (no mesh is skinned or hangs under a joint)",
        "skin the mesh to an armature and export it as a glTF 2.0 binary (.glb)",
    )
