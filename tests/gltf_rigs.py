"""Small rigged glTF files made in code (pygltflib) for the asset-import tests.

A T-posed humanoid of 18 joints (1.6 units tall, +y up, facing +z) with one box per bone, each
box skinned to its bone's joint. Options choose the joint names (Mixamo, Rigify, none), how the
boxes are split into meshes and skins, and what animation comes with it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pygltflib

# (key, parent key, rest position in world space)
_JOINTS = [
    ("hips", None, (0.0, 0.9, 0.0)),
    ("spine", "hips", (0.0, 1.05, 0.0)),
    ("chest", "spine", (0.0, 1.25, 0.0)),
    ("neck", "chest", (0.0, 1.42, 0.0)),
    ("head", "neck", (0.0, 1.52, 0.0)),
    ("l_arm", "chest", (0.18, 1.38, 0.0)),
    ("l_fore", "l_arm", (0.45, 1.38, 0.0)),
    ("l_hand", "l_fore", (0.7, 1.38, 0.0)),
    ("r_arm", "chest", (-0.18, 1.38, 0.0)),
    ("r_fore", "r_arm", (-0.45, 1.38, 0.0)),
    ("r_hand", "r_fore", (-0.7, 1.38, 0.0)),
    ("l_thigh", "hips", (0.1, 0.88, 0.0)),
    ("l_shin", "l_thigh", (0.1, 0.48, 0.0)),
    ("l_foot", "l_shin", (0.1, 0.08, 0.0)),
    ("r_thigh", "hips", (-0.1, 0.88, 0.0)),
    ("r_shin", "r_thigh", (-0.1, 0.48, 0.0)),
    ("r_foot", "r_shin", (-0.1, 0.08, 0.0)),
]
_TIPS = {
    "head": (0.0, 1.65, 0.0),
    "l_hand": (0.8, 1.38, 0.0),
    "r_hand": (-0.8, 1.38, 0.0),
    "l_foot": (0.1, 0.0, 0.15),
    "r_foot": (-0.1, 0.0, 0.15),
}

NAMES = {
    "mixamo": {
        "hips": "mixamorig:Hips",
        "spine": "mixamorig:Spine",
        "chest": "mixamorig:Spine2",
        "neck": "mixamorig:Neck",
        "head": "mixamorig:Head",
        "l_arm": "mixamorig:LeftArm",
        "l_fore": "mixamorig:LeftForeArm",
        "l_hand": "mixamorig:LeftHand",
        "r_arm": "mixamorig:RightArm",
        "r_fore": "mixamorig:RightForeArm",
        "r_hand": "mixamorig:RightHand",
        "l_thigh": "mixamorig:LeftUpLeg",
        "l_shin": "mixamorig:LeftLeg",
        "l_foot": "mixamorig:LeftFoot",
        "r_thigh": "mixamorig:RightUpLeg",
        "r_shin": "mixamorig:RightLeg",
        "r_foot": "mixamorig:RightFoot",
    },
    "rigify": {
        "hips": "DEF-spine",
        "spine": "DEF-spine.001",
        "chest": "DEF-spine.003",
        "neck": "DEF-spine.004",
        "head": "DEF-spine.006",
        "l_arm": "DEF-upper_arm.L",
        "l_fore": "DEF-forearm.L",
        "l_hand": "DEF-hand.L",
        "r_arm": "DEF-upper_arm.R",
        "r_fore": "DEF-forearm.R",
        "r_hand": "DEF-hand.R",
        "l_thigh": "DEF-thigh.L",
        "l_shin": "DEF-shin.L",
        "l_foot": "DEF-foot.L",
        "r_thigh": "DEF-thigh.R",
        "r_shin": "DEF-shin.R",
        "r_foot": "DEF-foot.R",
    },
    "ue": {
        "hips": "pelvis",
        "spine": "spine_01",
        "chest": "spine_03",
        "neck": "neck_01",
        "head": "head",
        "l_arm": "upperarm_l",
        "l_fore": "lowerarm_l",
        "l_hand": "hand_l",
        "r_arm": "upperarm_r",
        "r_fore": "lowerarm_r",
        "r_hand": "hand_r",
        "l_thigh": "thigh_l",
        "l_shin": "calf_l",
        "l_foot": "foot_l",
        "r_thigh": "thigh_r",
        "r_shin": "calf_r",
        "r_foot": "foot_r",
    },
    "none": {},
}
KEYS = [k for k, _, _ in _JOINTS]


def _box(a: np.ndarray, b: np.ndarray, r: float) -> tuple[np.ndarray, np.ndarray]:
    """8 vertices and 12 outward triangles of a box of half-width ``r`` around segment ``a``-``b``."""
    lo, hi = np.minimum(a, b) - r, np.maximum(a, b) + r
    v = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    f = np.array(
        [
            [0, 1, 3],
            [0, 3, 2],
            [4, 6, 7],
            [4, 7, 5],
            [0, 4, 5],
            [0, 5, 1],
            [2, 3, 7],
            [2, 7, 6],
            [0, 2, 6],
            [0, 6, 4],
            [1, 5, 7],
            [1, 7, 3],
        ]
    )
    return v, f


def bone_boxes() -> list[tuple[int, np.ndarray, np.ndarray]]:
    """``(joint index, (8, 3) vertices, (12, 3) faces)`` per bone, world space (bind pose)."""
    pos = {k: np.array(p) for k, _, p in _JOINTS}
    out = []
    for j, (k, _, p) in enumerate(_JOINTS):
        kids = [c for c, par, _ in _JOINTS if par == k]
        end = np.array(_TIPS[k]) if k in _TIPS else np.mean([pos[c] for c in kids], axis=0)
        v, f = _box(np.array(p), end, 0.05)
        out.append((j, v, f))
    return out


class _Blob:
    def __init__(self, gltf: pygltflib.GLTF2):
        self.gltf, self.data = gltf, bytearray()

    def add(self, arr: np.ndarray, ctype: int, gtype: str, target: int | None = None, minmax: bool = False) -> int:
        while len(self.data) % 4:
            self.data.append(0)
        raw = np.ascontiguousarray(arr).tobytes()
        self.gltf.bufferViews.append(
            pygltflib.BufferView(buffer=0, byteOffset=len(self.data), byteLength=len(raw), target=target)
        )
        self.data.extend(raw)
        count = arr.shape[0]
        acc = pygltflib.Accessor(
            bufferView=len(self.gltf.bufferViews) - 1, componentType=ctype, count=count, type=gtype
        )
        if minmax:
            acc.min = arr.min(axis=0).tolist()
            acc.max = arr.max(axis=0).tolist()
        self.gltf.accessors.append(acc)
        return len(self.gltf.accessors) - 1


def humanoid(
    path: Path,
    names: str = "mixamo",
    meshes: str = "one",
    clip: str = "none",
    unweighted: int = 0,
    morph_only: bool = False,
) -> Path:
    """Write a rigged humanoid ``.glb``.

    Args:
        path: where to write.
        names: ``"mixamo"``, ``"rigify"``, ``"ue"`` or ``"none"`` (unnamed joints).
        meshes: ``"one"`` skinned mesh; ``"two"`` skinned meshes on one skin (legs and the rest);
            ``"two_skins"`` the same on two skins over the same joints; ``"rigid"`` the head box
            as an unskinned mesh under the head joint (the rest skinned); ``"unskinned"`` no skin.
        clip: ``"none"``, ``"static"`` (two keys of the rest pose) or ``"bend"`` (the left knee bends).
        unweighted: this many vertices of the first mesh get all-zero skin weights.
        morph_only: no skin, one morph target on the mesh and a weights animation.
    Returns:
        ``path``.
    """
    gltf = pygltflib.GLTF2(
        scene=0,
        scenes=[pygltflib.Scene(nodes=[0])],
        nodes=[],
        meshes=[],
        skins=[],
        accessors=[],
        bufferViews=[],
        buffers=[],
        animations=[],
        materials=[],
    )
    blob = _Blob(gltf)
    label = NAMES[names]
    pos = np.array([p for _, _, p in _JOINTS])
    # node 0: scene root "Armature"; joints are nodes 1..J
    gltf.nodes.append(pygltflib.Node(name="Armature", children=[1]))
    for j, (k, par, p) in enumerate(_JOINTS):
        local = pos[j] - (pos[KEYS.index(par)] if par else 0.0)
        kids = [1 + i for i, (_, pp, _) in enumerate(_JOINTS) if pp == k]
        gltf.nodes.append(pygltflib.Node(name=label.get(k, ""), translation=local.tolist(), children=kids or None))
    J = len(_JOINTS)
    ibm = np.tile(np.eye(4, dtype=np.float32), (J, 1, 1))
    ibm[:, :3, 3] = -pos
    ibm_acc = blob.add(ibm.transpose(0, 2, 1).reshape(J, 16), 5126, "MAT4")
    gltf.materials.append(
        pygltflib.Material(pbrMetallicRoughness=pygltflib.PbrMetallicRoughness(baseColorFactor=[0.8, 0.4, 0.2, 1.0]))
    )

    boxes = bone_boxes()
    groups = {
        "one": [boxes],
        "two": [[b for b in boxes if b[0] < 11], [b for b in boxes if b[0] >= 11]],
        "two_skins": [[b for b in boxes if b[0] < 11], [b for b in boxes if b[0] >= 11]],
        "rigid": [[b for b in boxes if KEYS[b[0]] != "head"]],
        "unskinned": [boxes],
    }[meshes]
    skinned = meshes != "unskinned" and not morph_only
    n_skins = 2 if meshes == "two_skins" else (1 if skinned or meshes == "unskinned" else 0)
    for s in range(n_skins):
        gltf.skins.append(pygltflib.Skin(joints=list(range(1, J + 1)), inverseBindMatrices=ibm_acc, skeleton=1))
    for g, group in enumerate(groups):
        verts = np.concatenate([b[1] for b in group]).astype(np.float32)
        faces = np.concatenate([b[2] + 8 * i for i, b in enumerate(group)]).astype(np.uint32)
        joints = np.zeros((len(verts), 4), dtype=np.uint16)
        joints[:, 0] = np.repeat([b[0] for b in group], 8)
        weights = np.zeros((len(verts), 4), dtype=np.float32)
        weights[:, 0] = 1.0
        if g == 0 and unweighted:
            weights[:unweighted] = 0.0
        attrs = pygltflib.Attributes(POSITION=blob.add(verts, 5126, "VEC3", 34962, minmax=True))
        if skinned:
            attrs.JOINTS_0 = blob.add(joints, 5123, "VEC4", 34962)
            attrs.WEIGHTS_0 = blob.add(weights, 5126, "VEC4", 34962)
        prim = pygltflib.Primitive(
            attributes=attrs, indices=blob.add(faces.reshape(-1, 1), 5125, "SCALAR", 34963), material=0
        )
        if morph_only:
            prim.targets = [{"POSITION": blob.add(np.full_like(verts, 0.01), 5126, "VEC3", minmax=True)}]
        gltf.meshes.append(pygltflib.Mesh(name=f"body{g}", primitives=[prim]))
        node = pygltflib.Node(name=f"body{g}", mesh=len(gltf.meshes) - 1)
        if skinned:
            node.skin = min(g, n_skins - 1)
        gltf.nodes.append(node)
        gltf.scenes[0].nodes.append(len(gltf.nodes) - 1)
    if meshes == "rigid":
        j = KEYS.index("head")
        _, v, f = boxes[j]
        local = (v - pos[j]).astype(np.float32)
        prim = pygltflib.Primitive(
            attributes=pygltflib.Attributes(POSITION=blob.add(local, 5126, "VEC3", 34962, True)),
            indices=blob.add(f.astype(np.uint32).reshape(-1, 1), 5125, "SCALAR", 34963),
        )
        gltf.meshes.append(pygltflib.Mesh(name="helmet", primitives=[prim]))
        gltf.nodes.append(pygltflib.Node(name="helmet", mesh=len(gltf.meshes) - 1))
        gltf.nodes[1 + j].children = (gltf.nodes[1 + j].children or []) + [len(gltf.nodes) - 1]

    if clip in ("static", "bend") or morph_only:
        times = blob.add(np.array([[0.0], [1.0]], dtype=np.float32), 5126, "SCALAR", minmax=True)
        channels, samplers = [], []
        if morph_only:
            w = blob.add(np.array([[0.0], [1.0]], dtype=np.float32), 5126, "SCALAR")
            samplers.append(pygltflib.AnimationSampler(input=times, output=w))
            channels.append(
                pygltflib.AnimationChannel(
                    sampler=0, target=pygltflib.AnimationChannelTarget(node=len(gltf.nodes) - 1, path="weights")
                )
            )
        else:
            for j in range(J):
                q = np.array([[0, 0, 0, 1], [0, 0, 0, 1]], dtype=np.float32)
                if clip == "bend" and KEYS[j] == "l_shin":
                    q[1] = [np.sin(0.6), 0, 0, np.cos(0.6)]
                samplers.append(pygltflib.AnimationSampler(input=times, output=blob.add(q, 5126, "VEC4")))
                channels.append(
                    pygltflib.AnimationChannel(
                        sampler=j, target=pygltflib.AnimationChannelTarget(node=1 + j, path="rotation")
                    )
                )
        gltf.animations.append(
            pygltflib.Animation(name="TPose" if clip == "static" else "Bend", channels=channels, samplers=samplers)
        )
    gltf.buffers.append(pygltflib.Buffer(byteLength=len(blob.data)))
    gltf.set_binary_blob(bytes(blob.data))
    gltf.save_binary(str(path))
    return path


def primitive_vertex_count(path: Path) -> int:
    """Vertices of every primitive of every mesh node of the default scene (from the accessors)."""
    gltf = pygltflib.GLTF2().load_binary(str(path))
    nodes, stack, total = gltf.nodes, list(gltf.scenes[gltf.scene or 0].nodes), 0
    while stack:
        i = stack.pop()
        if nodes[i].mesh is not None:
            total += sum(gltf.accessors[p.attributes.POSITION].count for p in gltf.meshes[nodes[i].mesh].primitives)
        stack.extend(nodes[i].children or [])
    return total
