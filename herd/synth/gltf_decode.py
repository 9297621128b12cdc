"""Decoding a glTF 2.0 binary (``.glb``) into NumPy: accessors (plain, sparse, Draco), nodes and
every drawn primitive with its material.

pygltflib parses the JSON and the binary chunk; this module turns accessors into arrays, decodes
``KHR_draco_mesh_compression`` primitives with DracoPy (Google's Draco, a Python binding on PyPI)
and lists every triangle primitive drawn by the default scene as a :class:`Primitive`, in the
space of the mesh node (*mesh space*, raw units). It knows nothing of skeletons or motion
(:mod:`herd.synth.asset_rig` builds those).

Quaternions are ``(x, y, z, w)``, glTF's order and herd's (docs/conventions.md). Accessors and
Draco decoding are :mod:`herd.synth.gltf_accessors`. ``node2parent`` and the other
``(4, 4)`` transforms act on column vectors: ``x_parent = node2parent @ x_node``.
"""

from __future__ import annotations

import base64
import dataclasses
import io
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from herd.synth.gltf_accessors import DRACO, FIX, decode_draco, input_error, read_accessor

#: Extensions that change what the geometry is and that herd does not decode.
_UNSUPPORTED = {
    "EXT_meshopt_compression": "gltfpack -noq -i in.glb -o out.glb",
    "KHR_mesh_quantization": "gltf-transform dequantize in.glb out.glb",
}


@dataclasses.dataclass(frozen=True, eq=False)
class Node:
    """One glTF node: its parent and rest local transform.

    Attributes:
        name: node name (may be empty).
        parent: parent node index, ``-1`` for a scene root.
        children: child node indices, in the file's order.
        translation: ``(3,)`` rest translation.
        rotation: ``(4,)`` rest rotation quaternion ``(x, y, z, w)``.
        scale: ``(3,)`` rest scale.
        matrix: ``(4, 4)`` rest ``node2parent`` (equals T @ R @ S).
        mesh: the mesh it draws, or ``-1``.
        skin: its skin, or ``-1``.
    """

    name: str
    parent: int
    children: tuple[int, ...]
    translation: np.ndarray
    rotation: np.ndarray
    scale: np.ndarray
    matrix: np.ndarray
    mesh: int
    skin: int


@dataclasses.dataclass(frozen=True, eq=False)
class Material:
    """Base colour of a surface.

    Attributes:
        base_color: ``(3,)`` factor in [0, 1] (multiplies the texture and vertex colours).
        texture: ``(h, w, 3)`` float image in [0, 1] (sRGB values), or ``None``.
        texcoord: which ``TEXCOORD_n`` set the texture uses.
    """

    base_color: np.ndarray
    texture: np.ndarray | None
    texcoord: int = 0


@dataclasses.dataclass(frozen=True, eq=False)
class Primitive:
    """One drawn triangle primitive, in mesh space (raw units).

    Attributes:
        node: the node that draws it.
        label: ``"<mesh name>[<primitive index>]"`` for messages.
        verts: ``(V, 3)`` positions.
        faces: ``(T, 3)`` triangles (strips and fans are converted).
        skin_joints: ``(V, K)`` indices into the node's skin's joint list, or ``None`` if unskinned.
        skin_weights: ``(V, K)`` influence weights (not normalised; rows may be all zero), or ``None``.
        uv: ``(V, 2)`` texture coordinates of the material's set (u right, v down), or ``None``.
        color: ``(V, 3)`` vertex colours in [0, 1] (``COLOR_0``), or ``None``.
        material: its :class:`Material`.
        has_morph_targets: the primitive has morph targets (their offsets are ignored).
    """

    node: int
    label: str
    verts: np.ndarray
    faces: np.ndarray
    skin_joints: np.ndarray | None
    skin_weights: np.ndarray | None
    uv: np.ndarray | None
    color: np.ndarray | None
    material: Material
    has_morph_targets: bool


@dataclasses.dataclass(eq=False)
class GlbFile:
    """A parsed ``.glb``: pygltflib's document, its binary chunk and the node tree.

    Attributes:
        path: the file.
        gltf: the ``pygltflib.GLTF2`` document.
        blob: the binary chunk.
        nodes: every node.
    """

    path: Path
    gltf: Any  # pygltflib.GLTF2; pygltflib ships no type information
    blob: bytes
    nodes: tuple[Node, ...]

    def accessor(self, index: int) -> np.ndarray:
        """``(count, n)`` array of one accessor (float64 for floats and normalised integers,
        integers otherwise); ``MAT4`` comes back ``(count, 4, 4)``."""
        return read_accessor(self.gltf, self.blob, index, self.path)

    def rest_world(self, i: int) -> np.ndarray:
        """``(4, 4)`` rest ``node2world`` of node ``i`` (identity for ``i = -1``)."""
        m = np.eye(4)
        while i >= 0:
            m = self.nodes[i].matrix @ m
            i = self.nodes[i].parent
        return m

    def ancestors(self, i: int) -> list[int]:
        """Node ``i``'s parent, grandparent, ... up to its scene root."""
        out = []
        i = self.nodes[i].parent
        while i >= 0:
            out.append(i)
            i = self.nodes[i].parent
        return out


# ----------------------------------------------------------------------------------------------
# Small math


def trs(t: np.ndarray, q_xyzw: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``(4, 4)`` matrix ``T @ R @ S`` from a translation, an ``(x, y, z, w)`` quaternion and a scale."""
    m = np.eye(4)
    m[:3, :3] = Rotation.from_quat(q_xyzw).as_matrix() * np.asarray(s, dtype=np.float64)[None, :]
    m[:3, 3] = t
    return m


def decompose(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Translation, ``(x, y, z, w)`` rotation and scale of a ``(4, 4)`` matrix without shear."""
    a = m[:3, :3]
    s = np.linalg.norm(a, axis=0)
    s = np.where(s > 1e-12, s, 1.0)
    r = a / s[None, :]
    if np.linalg.det(r) < 0:
        s[0], r[:, 0] = -s[0], -r[:, 0]
    return m[:3, 3].copy(), Rotation.from_matrix(r).as_quat(), s


def apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """``(..., 3)`` points mapped by a ``(4, 4)`` affine transform."""
    return pts @ m[:3, :3].T + m[:3, 3]


# ----------------------------------------------------------------------------------------------
# Nodes, materials, primitives


def _read_nodes(gltf) -> tuple[Node, ...]:
    parents = [-1] * len(gltf.nodes)
    for i, n in enumerate(gltf.nodes):
        for c in n.children or []:
            parents[c] = i
    nodes = []
    for i, n in enumerate(gltf.nodes):
        if n.matrix is not None:
            m = np.array(n.matrix, dtype=np.float64).reshape(4, 4).T
            t, q, s = decompose(m)
        else:
            t = np.array(n.translation if n.translation is not None else [0.0, 0.0, 0.0], dtype=np.float64)
            q = np.array(n.rotation if n.rotation is not None else [0.0, 0.0, 0.0, 1.0], dtype=np.float64)
            s = np.array(n.scale if n.scale is not None else [1.0, 1.0, 1.0], dtype=np.float64)
            q = q / max(np.linalg.norm(q), 1e-12)
            m = trs(t, q, s)
        nodes.append(
            Node(
                name=n.name or "",
                parent=parents[i],
                children=tuple(int(c) for c in n.children or []),
                translation=t,
                rotation=q,
                scale=s,
                matrix=m,
                mesh=-1 if n.mesh is None else int(n.mesh),
                skin=-1 if n.skin is None else int(n.skin),
            )
        )
    return tuple(nodes)


def _read_image(glb: GlbFile, source: int) -> np.ndarray:
    from PIL import Image

    gltf, path = glb.gltf, glb.path
    image = gltf.images[source]
    if image.bufferView is not None:
        bv = gltf.bufferViews[image.bufferView]
        data = glb.blob[(bv.byteOffset or 0) : (bv.byteOffset or 0) + bv.byteLength]
    elif image.uri and image.uri.startswith("data:"):
        data = base64.b64decode(image.uri.split(",", 1)[1])
    else:
        file = path.parent / (image.uri or "")
        if not image.uri or not file.is_file():
            raise input_error(path, f"texture {image.uri} not found", "put it beside the .glb or embed it")
        data = file.read_bytes()
    try:
        img = Image.open(io.BytesIO(data)).convert("RGB")
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a bad file
        raise input_error(
            path, f"cannot decode a base-colour texture ({exc})", "re-export it with PNG or JPEG textures"
        ) from None
    return np.asarray(img, dtype=np.float32) / 255.0


def read_material(glb: GlbFile, index: int | None, cache: dict) -> Material:
    """The base colour factor and texture of material ``index`` (white for ``None``)."""
    if index in cache:
        return cache[index]
    factor, texture, texcoord = np.ones(3), None, 0
    material = glb.gltf.materials[index] if index is not None else None
    pbr = material.pbrMetallicRoughness if material is not None else None
    if pbr is not None:
        if pbr.baseColorFactor is not None:
            factor = np.clip(np.asarray(pbr.baseColorFactor[:3], dtype=np.float64), 0.0, 1.0)
        info = pbr.baseColorTexture
        if info is not None and info.index is not None:
            source = glb.gltf.textures[info.index].source
            if source is not None:
                texture, texcoord = _read_image(glb, source), int(info.texCoord or 0)
    cache[index] = Material(base_color=factor, texture=texture, texcoord=texcoord)
    return cache[index]


def _triangles(indices: np.ndarray, mode: int) -> np.ndarray:
    """``(T, 3)`` triangles from an index list of a TRIANGLES (4), STRIP (5) or FAN (6) primitive."""
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    if mode == 4:
        return idx[: len(idx) - len(idx) % 3].reshape(-1, 3)
    if len(idx) < 3:
        return np.zeros((0, 3), dtype=np.int64)
    k = np.arange(len(idx) - 2)
    if mode == 5:  # strips alternate winding
        a, b = np.where(k % 2 == 0, idx[k], idx[k + 1]), np.where(k % 2 == 0, idx[k + 1], idx[k])
        return np.stack([a, b, idx[k + 2]], axis=1)
    return np.stack([np.full_like(k, idx[0]), idx[k + 1], idx[k + 2]], axis=1)


def _read_primitive(glb: GlbFile, node: int, mesh_index: int, k: int, prim, cache: dict) -> Primitive | None:
    gltf = glb.gltf
    mode = 4 if prim.mode is None else int(prim.mode)
    attrs = prim.attributes
    if mode not in (4, 5, 6) or attrs.POSITION is None:
        return None  # points and lines draw no surface
    material = read_material(glb, prim.material, cache)
    uv_name = f"TEXCOORD_{material.texcoord}"
    wanted = ["POSITION", "JOINTS_0", "WEIGHTS_0", "JOINTS_1", "WEIGHTS_1", uv_name, "COLOR_0"]
    extensions = prim.extensions or {}
    if DRACO in extensions:
        arrays, faces = decode_draco(glb, prim, wanted)
    else:
        arrays = {s: glb.accessor(getattr(attrs, s)) for s in wanted if getattr(attrs, s, None) is not None}
        count = len(arrays["POSITION"])
        idx = glb.accessor(prim.indices).reshape(-1) if prim.indices is not None else np.arange(count)
        faces = _triangles(idx, mode)
    verts = arrays["POSITION"].astype(np.float64)
    if len(faces) and (faces.max() >= len(verts) or faces.min() < 0):
        raise input_error(
            glb.path,
            f"a triangle of mesh {gltf.meshes[mesh_index].name or mesh_index} points past its vertices",
            "the file is corrupt; re-export it",
        )
    joints = weights = None
    if "JOINTS_0" in arrays and "WEIGHTS_0" in arrays:
        pairs = [(arrays["JOINTS_0"], arrays["WEIGHTS_0"])]
        if "JOINTS_1" in arrays and "WEIGHTS_1" in arrays:
            pairs.append((arrays["JOINTS_1"], arrays["WEIGHTS_1"]))
        joints = np.concatenate([p[0] for p in pairs], axis=1).astype(np.int64)
        weights = np.clip(np.concatenate([p[1] for p in pairs], axis=1).astype(np.float64), 0.0, None)
    uv = arrays.get(uv_name)
    color = arrays.get("COLOR_0")
    if color is not None:
        color = np.clip(color[:, :3].astype(np.float64), 0.0, 1.0)
    label = f"{gltf.meshes[mesh_index].name or f'mesh{mesh_index}'}[{k}]"
    return Primitive(
        node=node,
        label=label,
        verts=verts,
        faces=faces,
        skin_joints=joints,
        skin_weights=weights,
        uv=None if uv is None else uv[:, :2].astype(np.float64),
        color=color,
        material=material,
        has_morph_targets=bool(prim.targets),
    )


def scene_nodes(glb: GlbFile) -> list[int]:
    """Every node of the default scene (or of all root nodes if the file names no scene), depth first."""
    gltf = glb.gltf
    if gltf.scenes:
        roots = list(gltf.scenes[gltf.scene or 0].nodes or [])
    else:
        roots = [i for i, n in enumerate(glb.nodes) if n.parent < 0]
    out, stack = [], list(reversed(roots))
    while stack:
        i = stack.pop()
        out.append(i)
        stack.extend(reversed(glb.nodes[i].children))
    return out


def drawn_primitives(glb: GlbFile) -> list[Primitive]:
    """Every triangle primitive of every mesh node of the scene, in scene order."""
    cache: dict = {}
    out = []
    for i in scene_nodes(glb):
        node = glb.nodes[i]
        if node.mesh < 0:
            continue
        for k, prim in enumerate(glb.gltf.meshes[node.mesh].primitives):
            p = _read_primitive(glb, i, node.mesh, k, prim, cache)
            if p is not None and len(p.faces):
                out.append(p)
    return out


def open_glb(path: str | Path) -> GlbFile:
    """Parse a ``.glb`` (one line naming the file and the fix if it cannot be used)."""
    import pygltflib

    path = Path(path)
    if not path.is_file():
        raise input_error(path, "asset file not found", "pass the path of a rigged glTF 2.0 binary (.glb)")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"glTF":
        raise input_error(path, "not a glTF 2.0 binary (.glb)", FIX)
    try:
        gltf = pygltflib.GLTF2().load_binary(str(path))
    except Exception as exc:  # noqa: BLE001 - pygltflib raises many kinds on bad files
        raise input_error(path, f"cannot parse the .glb ({type(exc).__name__})", FIX) from None
    for ext in gltf.extensionsRequired or []:
        if ext in _UNSUPPORTED:
            raise input_error(
                path,
                f"it needs the {ext} extension, which herd does not decode",
                f"decompress it first: {_UNSUPPORTED[ext]}",
            )
    return GlbFile(path=path, gltf=gltf, blob=gltf.binary_blob() or b"", nodes=_read_nodes(gltf))
