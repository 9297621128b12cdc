"""A rigged asset as one skinned mesh: every drawn primitive of a ``.glb`` bound to one skeleton.

:func:`build_rig` takes what :mod:`herd.synth.gltf_decode` read and makes an :class:`Asset`:

- the skeleton is the union of the joints of every skin the scene uses, under one root (if the
  skins' joints hang under several roots, their lowest common ancestor node and the nodes on the
  way become joints too); joints are in depth-first order (parents before children);
- every triangle primitive of every mesh node is kept: a skinned one with its own skin, an
  unskinned one rigidly on its nearest ancestor joint (the root joint if it has none);
- vertices with no skin weight take the influences of their nearest weighted vertex in the same
  primitive (or the joint of their node), with a one-line :class:`~herd.synth.rig_parts.AssetWarning` (:mod:`herd.synth.rig_parts`);
- materials: base colour factor, base-colour texture with its UVs, vertex colours.

Frames. *World* is the asset's glTF scene space (raw units, +y up). Skinning follows glTF: a
vertex ``v`` (world, bind pose) goes to ``sum_k w_k * joint2world_{j_k}(t) @ inverse_bind_{j_k} @ v``
(world). *Object space* is world rotated about +y so the body faces +z (when its head clearly
points along another horizontal axis; a bind pose lying flat is first stood up, z-up to y-up), scaled to a bind-pose height of :data:`ASSET_HEIGHT` and
shifted so the bind-pose mesh is centred on the y axis with its lowest vertex at y = 0.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from herd.geometry.skeleton import Skeleton
from herd.synth.gltf_clips import Clip, read_clips
from herd.synth.gltf_decode import (
    FIX,
    GlbFile,
    Material,
    Node,
    apply,
    drawn_primitives,
    input_error,
    open_glb,
)
from herd.synth.joint_map import forward_yaw, symmetry_map, unique_names
from herd.synth.rig_parts import joint_nodes, no_rig_error, rig_part, skin_placement

#: Height (m) of the bind-pose mesh of every asset before an individual's global scale.
ASSET_HEIGHT = 0.8


@dataclasses.dataclass(frozen=True, eq=False)
class Asset:
    """A rigged asset read from a ``.glb``: one skinned triangle mesh on one skeleton.

    Joint arrays are in skeleton order (parents before children).

    Attributes:
        name: the file's stem (``"Fox"``).
        path: the file.
        skeleton: joints in object space (bind pose), symmetry from names or positions.
        joint_nodes: ``(J,)`` glTF node of each joint.
        root_parent: node index of the root joint's parent, ``-1`` if it is a scene root.
        nodes: every node of the file.
        bind_world: ``(J, 4, 4)`` bind-pose ``joint2world`` (raw units).
        inverse_bind: ``(J, 4, 4)`` its inverse, ``world2joint``.
        bind_local: ``(J, 4, 4)`` bind-pose ``joint2parent`` (the root's relative to its parent
            node's rest world transform).
        world2obj: ``(4, 4)`` world (raw units) to object space (a similarity: yaw, scale, shift).
        scale: metres per raw unit (``world2obj``'s scale).
        bind_verts: ``(V, 3)`` bind-pose vertices in world space, welded by position per primitive.
        rest_verts: ``(V, 3)`` the same in object space.
        faces: ``(T, 3)`` triangles into them.
        skin_joints: ``(V, K)`` joint of each influence.
        skin_weights: ``(V, K)`` influence weights, summing to 1 per vertex.
        materials: the surfaces' :class:`~herd.synth.gltf_decode.Material` s.
        face_material: ``(T,)`` index into ``materials``.
        corner_uv: ``(T, 3, 2)`` texture coordinates of each triangle corner (glTF: origin at the
            image's top-left, v down; zeros without a texture).
        corner_color: ``(T, 3, 3)`` vertex colours of each corner (ones without ``COLOR_0``).
        parts: label of every drawn primitive, in order.
        vertex_part: ``(V,)`` index into ``parts`` of each vertex.
        source_vertices: ``(V0, 3)`` every vertex of every drawn primitive as stored in the file,
            placed in the bind pose in world space (before welding): for checks.
        clips: animations by name.
    """

    name: str
    path: Path
    skeleton: Skeleton
    joint_nodes: np.ndarray
    root_parent: int
    nodes: tuple[Node, ...]
    bind_world: np.ndarray
    inverse_bind: np.ndarray
    bind_local: np.ndarray
    world2obj: np.ndarray
    scale: float
    bind_verts: np.ndarray
    rest_verts: np.ndarray
    faces: np.ndarray
    skin_joints: np.ndarray
    skin_weights: np.ndarray
    materials: tuple[Material, ...]
    face_material: np.ndarray
    corner_uv: np.ndarray
    corner_color: np.ndarray
    parts: tuple[str, ...]
    vertex_part: np.ndarray
    source_vertices: np.ndarray
    clips: dict[str, Clip]

    @property
    def clip_names(self) -> tuple[str, ...]:
        return tuple(self.clips)


def build_rig(glb: GlbFile) -> Asset:
    """Bind every drawn primitive of ``glb`` to one skeleton (see the module docstring).

    Raises:
        HerdInputError: nothing is drawn, there is no skin, or no single root joint can be found.
    """
    path, nodes, gltf = glb.path, glb.nodes, glb.gltf
    prims = drawn_primitives(glb)
    if not prims:
        raise input_error(path, "it draws no triangle mesh", FIX)
    if not gltf.skins:
        raise no_rig_error(glb, prims)
    order, skin_nodes = joint_nodes(glb, prims)
    joint_of = {n: k for k, n in enumerate(order)}
    rigged = [
        p
        for p in prims
        if (p.skin_joints is not None and nodes[p.node].skin in skin_nodes)
        or any(n in joint_of for n in [p.node] + glb.ancestors(p.node))
    ]
    if not rigged:
        raise no_rig_error(glb, prims)
    J = len(order)

    # Bind pose of every joint, from the first skin that has it; other joints from the node tree.
    skins: dict[int, tuple[list[int], np.ndarray, np.ndarray]] = {}
    bind_world = np.full((J, 4, 4), np.nan)
    for s, js in skin_nodes.items():
        acc = gltf.skins[s].inverseBindMatrices
        if acc is not None:
            ibm = glb.accessor(acc)
            if len(ibm) != len(js):
                raise input_error(
                    path, f"skin {s} has {len(js)} joints but {len(ibm)} inverse bind matrices", "re-export it"
                )
        else:  # no inverse bind matrices: the rest pose is the bind pose
            ibm = np.stack([np.linalg.inv(glb.rest_world(j)) for j in js])
        place = skin_placement(glb, prims, s, ibm, js)
        skins[s] = (js, ibm, place)
        for k, j in enumerate(js):
            if np.isnan(bind_world[joint_of[j], 0, 0]):
                bind_world[joint_of[j]] = place @ np.linalg.inv(ibm[k])
    parents = np.array([-1] + [joint_of[nodes[j].parent] for j in order[1:]], dtype=np.int64)
    for k, j in enumerate(order):
        if np.isnan(bind_world[k, 0, 0]):
            bind_world[k] = bind_world[parents[k]] @ nodes[j].matrix if k > 0 else glb.rest_world(j)
    root_parent = nodes[order[0]].parent
    bind_local = np.empty_like(bind_world)
    bind_local[0] = np.linalg.inv(glb.rest_world(root_parent)) @ bind_world[0]
    for k in range(1, J):
        bind_local[k] = np.linalg.inv(bind_world[parents[k]]) @ bind_world[k]

    parts = [rig_part(glb, p, joint_of, skins, bind_world) for p in rigged]
    K = max(p.joints.shape[1] for p in parts)
    offsets = np.cumsum([0] + [len(p.verts) for p in parts])
    bind_verts = np.concatenate([p.verts for p in parts])
    skin_joints = np.concatenate([np.pad(p.joints, ((0, 0), (0, K - p.joints.shape[1]))) for p in parts])
    skin_weights = np.concatenate([np.pad(p.weights, ((0, 0), (0, K - p.weights.shape[1]))) for p in parts])
    faces = np.concatenate([p.faces + o for p, o in zip(parts, offsets)])
    mats: list[Material] = []
    face_material = []
    for p in parts:
        if not any(m is p.material for m in mats):
            mats.append(p.material)
        face_material.append(np.full(len(p.faces), next(i for i, m in enumerate(mats) if m is p.material)))

    # Object space: face +z, ASSET_HEIGHT tall, centred on the y axis, lowest vertex at y = 0.
    names = unique_names([nodes[j].name for j in order])
    up = _up_fix(bind_verts)
    rot = _yaw_matrix(forward_yaw(names, bind_world[:, :3, 3] @ up.T)) @ up
    v = bind_verts @ rot.T
    height = float(np.ptp(v[:, 1]))
    if height <= 0:
        raise input_error(path, "the mesh has no height", FIX)
    scale = ASSET_HEIGHT / height
    lo, hi = v.min(axis=0), v.max(axis=0)
    world2obj = np.eye(4)
    world2obj[:3, :3] = scale * rot
    world2obj[:3, 3] = -scale * np.array([(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2])
    rest_joints = apply(world2obj, bind_world[:, :3, 3])
    skeleton = Skeleton(
        name=path.stem,
        joint_names=tuple(names),
        parents=parents,
        rest_joints=rest_joints,
        symmetry=symmetry_map(names, rest_joints),
    )
    return Asset(
        name=path.stem,
        path=path,
        skeleton=skeleton,
        joint_nodes=np.array(order, dtype=np.int64),
        root_parent=root_parent,
        nodes=nodes,
        bind_world=bind_world,
        inverse_bind=np.linalg.inv(bind_world),
        bind_local=bind_local,
        world2obj=world2obj,
        scale=scale,
        bind_verts=bind_verts,
        rest_verts=apply(world2obj, bind_verts),
        faces=faces,
        skin_joints=skin_joints,
        skin_weights=skin_weights,
        materials=tuple(mats),
        face_material=np.concatenate(face_material),
        corner_uv=np.concatenate([p.uv for p in parts]),
        corner_color=np.concatenate([p.color for p in parts]),
        parts=tuple(p.label for p in rigged),
        vertex_part=np.repeat(np.arange(len(parts)), [len(p.verts) for p in parts]),
        source_vertices=np.concatenate([p.source for p in parts]),
        clips=read_clips(glb),
    )


def _up_fix(verts: np.ndarray) -> np.ndarray:
    """``(3, 3)`` rotation that stands a body up: identity, or for a bind pose lying flat (glTF's
    +y its thinnest axis by far, as when a z-up mesh is skinned without its node's z-up to y-up
    turn) a quarter turn about +x taking +z up and -y forward."""
    ext = np.ptp(verts, axis=0)
    if ext[1] < 0.5 * min(ext[0], ext[2]) and ext[2] >= ext[1]:
        return np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
    return np.eye(3)


def _yaw_matrix(yaw: float) -> np.ndarray:
    """``(3, 3)`` rotation by ``yaw`` radians about +y (turns +z towards +x)."""
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def load_rig(path: str | Path) -> Asset:
    """Read a rigged glTF 2.0 binary into an :class:`Asset` (see :func:`build_rig`)."""
    return build_rig(open_glb(path))
