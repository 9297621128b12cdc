"""Bodies and motions from a rigged, animated glTF 2.0 asset (``.glb``), e.g. the Khronos Fox.

The asset is read once (:func:`load_asset`) into NumPy arrays: one skinned triangle mesh, its
skin (joints and inverse bind matrices), the node tree and the animation clips. From it:

- :func:`make_asset_body` makes one individual (:class:`AssetBody`, a :class:`~herd.synth.types.Body`)
  with its own bone lengths, overall size and colour tint;
- :func:`make_asset_motion` makes one video's motion (:class:`AssetMotion`, a
  :class:`~herd.synth.types.Motion`): a clip played at some speed and phase, and an object-to-world
  path along the ground.

Frames. glTF's axes are herd's (+y up, +z forward, +x left), so *world* below means the asset's own
glTF scene space (raw units). *Object space* is world space rotated about +y so the animal faces
+z (only if its head clearly points along another horizontal axis), scaled to metres-like units
(bind-pose height 0.8 before the individual's size) and shifted so the bind-pose mesh is centred on
the y axis with its lowest vertex at y = 0 (the ground). Posing follows glTF skinning: a vertex
``v`` (mesh space) goes to ``sum_j w_j * joint2world_j(t) @ inv_bind_j @ v`` (world), then to object
space; the skinned mesh node's own transform only decides where the bind pose sits.

Shape letters as in :mod:`herd.geometry`; ``N`` here is a number of glTF nodes or samples.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import re
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from herd.errors import HerdInputError
from herd.geometry.skeleton import Skeleton

#: Height (m) of the bind-pose mesh of every asset before an individual's global scale.
ASSET_HEIGHT = 0.8
#: Ground speed (m/s, before the motion's speed factor) of a clip, by a word in its name.
CLIP_SPEEDS = {"run": 2.0, "gallop": 2.0, "trot": 1.4, "walk": 0.8}
#: Relative chance of picking a clip, by a word in its name (others: 0.2).
CLIP_WEIGHTS = {"walk": 0.4, "run": 0.4, "survey": 0.2}
BONE_SCALE_RANGE = (0.8, 1.25)
GLOBAL_SCALE_RANGE = (0.85, 1.2)
SPEED_RANGE = (0.8, 1.25)
MAX_YAW_RATE = np.deg2rad(30.0)

_COMPONENT_DTYPES = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16,
                     5125: np.uint32, 5126: np.float32}
_TYPE_SIZES = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
_FIX = "export it as a glTF 2.0 binary (.glb) with one skinned mesh and at least one animation"


# ----------------------------------------------------------------------------------------------
# Parsed asset


@dataclasses.dataclass(frozen=True, eq=False)
class Node:
    """One glTF node: its parent and rest local transform (relative to its parent).

    Attributes:
        name: node name (may be empty).
        parent: parent node index, ``-1`` for a scene root.
        translation: ``(3,)`` rest translation.
        rotation: ``(4,)`` rest rotation quaternion ``(x, y, z, w)`` (glTF order).
        scale: ``(3,)`` rest scale.
        matrix: ``(4, 4)`` rest local transform ``node2parent`` (equals T @ R @ S).
    """

    name: str
    parent: int
    translation: np.ndarray
    rotation: np.ndarray
    scale: np.ndarray
    matrix: np.ndarray


@dataclasses.dataclass(frozen=True, eq=False)
class Channel:
    """One animated property of one node.

    Attributes:
        node: target node index.
        path: ``"translation"``, ``"rotation"`` (quaternion ``x, y, z, w``) or ``"scale"``.
        interpolation: ``"LINEAR"``, ``"STEP"`` or ``"CUBICSPLINE"``.
        times: ``(K,)`` increasing key times in seconds.
        values: ``(K, D)`` key values, ``(K, 3, D)`` (in-tangent, value, out-tangent) for
            ``CUBICSPLINE``; ``D`` is 3 or 4.
    """

    node: int
    path: str
    interpolation: str
    times: np.ndarray
    values: np.ndarray

    def sample(self, t: float) -> np.ndarray:
        """``(D,)`` value at time ``t`` seconds (clamped to the keys); rotations are unit quaternions."""
        times, vals = self.times, self.values
        k = len(times)
        if k == 1 or t <= times[0]:
            out = vals[0, 1] if self.interpolation == "CUBICSPLINE" else vals[0]
        elif t >= times[-1]:
            out = vals[-1, 1] if self.interpolation == "CUBICSPLINE" else vals[-1]
        else:
            i = int(np.searchsorted(times, t, side="right")) - 1
            i = min(max(i, 0), k - 2)
            dt = float(times[i + 1] - times[i])
            a = 0.0 if dt <= 0 else (t - times[i]) / dt
            if self.interpolation == "STEP":
                out = vals[i]
            elif self.interpolation == "CUBICSPLINE":
                a2, a3 = a * a, a * a * a
                out = ((2 * a3 - 3 * a2 + 1) * vals[i, 1] + (a3 - 2 * a2 + a) * dt * vals[i, 2]
                       + (-2 * a3 + 3 * a2) * vals[i + 1, 1] + (a3 - a2) * dt * vals[i + 1, 0])
            elif self.path == "rotation":
                out = _slerp(vals[i], vals[i + 1], a)
            else:
                out = (1 - a) * vals[i] + a * vals[i + 1]
        out = np.asarray(out, dtype=np.float64)
        if self.path == "rotation":
            out = out / max(np.linalg.norm(out), 1e-12)
        return out


@dataclasses.dataclass(frozen=True, eq=False)
class Clip:
    """One animation.

    Attributes:
        name: the animation's name (``"Walk"``).
        start: first key time (s).
        duration: length (s) over all channels; frames wrap modulo this.
        channels: the animated node properties (morph-target weights are dropped).
    """

    name: str
    start: float
    duration: float
    channels: tuple[Channel, ...]

    def overrides(self, t: float) -> dict[int, dict[str, np.ndarray]]:
        """Animated ``{node: {path: value}}`` at clip time ``t`` (seconds, in ``[start, start + duration]``)."""
        out: dict[int, dict[str, np.ndarray]] = {}
        for ch in self.channels:
            out.setdefault(ch.node, {})[ch.path] = ch.sample(t)
        return out


@dataclasses.dataclass(frozen=True, eq=False)
class Asset:
    """A rigged asset read from a ``.glb``, with its skeleton in object space.

    Joint arrays are in skeleton order (parents before children), not the skin's order.

    Attributes:
        name: the file's stem (``"Fox"``).
        path: the file.
        skeleton: joints in object space (bind pose, metres-like), symmetry from names or positions.
        joint_nodes: ``(J,)`` glTF node of each skeleton joint.
        skin_index: ``(J,)`` position of each skeleton joint in the skin's joint list.
        root_parent: node index of the skeleton root's parent, ``-1`` if it is a scene root.
        nodes: every node of the file.
        inverse_bind: ``(J, 4, 4)`` glTF inverse bind matrices ``mesh2joint`` (raw units).
        bind_local: ``(J, 4, 4)`` bind-pose ``joint2parent`` transforms (the root's relative to
            its parent node's rest world transform), from the inverse bind matrices.
        mesh2world: ``(4, 4)`` where the bind-pose mesh sits in world space.
        world2obj: ``(4, 4)`` world (raw units) to object space (a similarity: yaw, scale, shift).
        scale: metres per raw unit (``world2obj``'s scale).
        mesh_verts: ``(V, 3)`` bind-pose vertices in mesh space (raw units), welded by position.
        rest_verts: ``(V, 3)`` bind-pose vertices in object space.
        faces: ``(T, 3)`` triangles into the welded vertices.
        skin_joints: ``(V, K)`` skeleton joint of each influence.
        skin_weights: ``(V, K)`` influence weights, summing to 1 per vertex.
        corner_uv: ``(T, 3, 2)`` texture coordinates of each triangle corner (glTF: origin at the
            image's top-left, v down).
        texture: ``(h, w, 3)`` float base-colour image in [0, 1] (sRGB values), or ``None``.
        base_color: ``(3,)`` base-colour factor (multiplies the texture).
        clips: animations by name.
    """

    name: str
    path: Path
    skeleton: Skeleton
    joint_nodes: np.ndarray
    skin_index: np.ndarray
    root_parent: int
    nodes: tuple[Node, ...]
    inverse_bind: np.ndarray
    bind_local: np.ndarray
    mesh2world: np.ndarray
    world2obj: np.ndarray
    scale: float
    mesh_verts: np.ndarray
    rest_verts: np.ndarray
    faces: np.ndarray
    skin_joints: np.ndarray
    skin_weights: np.ndarray
    corner_uv: np.ndarray
    texture: np.ndarray | None
    base_color: np.ndarray
    clips: dict[str, Clip]

    @property
    def clip_names(self) -> tuple[str, ...]:
        return tuple(self.clips)


# ----------------------------------------------------------------------------------------------
# Small math helpers


def _slerp(q0: np.ndarray, q1: np.ndarray, a: float) -> np.ndarray:
    """Spherical interpolation of ``(4,)`` quaternions (any order of components), shortest path."""
    q0 = np.asarray(q0, dtype=np.float64)
    q1 = np.asarray(q1, dtype=np.float64)
    d = float(np.dot(q0, q1))
    if d < 0.0:
        q1, d = -q1, -d
    if d > 0.9995:
        q = (1 - a) * q0 + a * q1
    else:
        th = np.arccos(min(d, 1.0))
        q = (np.sin((1 - a) * th) * q0 + np.sin(a * th) * q1) / np.sin(th)
    return q / max(np.linalg.norm(q), 1e-12)


def _trs(t: np.ndarray, q_xyzw: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``(4, 4)`` matrix ``T @ R @ S`` from a translation, an ``(x, y, z, w)`` quaternion and a scale."""
    m = np.eye(4)
    m[:3, :3] = Rotation.from_quat(q_xyzw).as_matrix() * np.asarray(s, dtype=np.float64)[None, :]
    m[:3, 3] = t
    return m


def _decompose(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Translation, ``(x, y, z, w)`` rotation and scale of a ``(4, 4)`` matrix without shear."""
    a = m[:3, :3]
    s = np.linalg.norm(a, axis=0)
    s = np.where(s > 1e-12, s, 1.0)
    r = a / s[None, :]
    if np.linalg.det(r) < 0:
        s[0], r[:, 0] = -s[0], -r[:, 0]
    return m[:3, 3].copy(), Rotation.from_matrix(r).as_quat(), s


def _yaw_matrix(yaw: float) -> np.ndarray:
    """``(3, 3)`` rotation by ``yaw`` radians about +y (turns +z towards +x)."""
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """``(..., 3)`` points mapped by a ``(4, 4)`` affine transform."""
    return pts @ m[:3, :3].T + m[:3, 3]


# ----------------------------------------------------------------------------------------------
# Reading the file


def _err(path: Path, what: str, fix: str = _FIX) -> HerdInputError:
    return HerdInputError(f"{path}: {what}; {fix}")


def _read_accessor(gltf, blob: bytes, index: int, path: Path) -> np.ndarray:
    """``(count, n)`` float64 (or integer) array of one accessor; matrices come back ``(count, 4, 4)``."""
    acc = gltf.accessors[index]
    dtype = np.dtype(_COMPONENT_DTYPES[acc.componentType]).newbyteorder("<")
    n = _TYPE_SIZES[acc.type]
    if acc.bufferView is None:
        out = np.zeros((acc.count, n), dtype=dtype)
    else:
        bv = gltf.bufferViews[acc.bufferView]
        if bv.buffer != 0:
            raise _err(path, "data outside the binary chunk is not supported", "re-export it as a self-contained .glb")
        start = (bv.byteOffset or 0) + (acc.byteOffset or 0)
        elem = dtype.itemsize * n
        stride = bv.byteStride or elem
        if stride == elem:
            out = np.frombuffer(blob, dtype=dtype, count=acc.count * n, offset=start).reshape(acc.count, n)
        else:
            raw = np.frombuffer(blob, dtype=np.uint8, count=stride * (acc.count - 1) + elem, offset=start)
            rows = np.lib.stride_tricks.as_strided(raw, shape=(acc.count, elem), strides=(stride, 1))
            out = np.ascontiguousarray(rows).view(dtype).reshape(acc.count, n)
        out = out.copy()
    if acc.sparse is not None and acc.sparse.count:
        sp = acc.sparse
        ibv = gltf.bufferViews[sp.indices.bufferView]
        idt = np.dtype(_COMPONENT_DTYPES[sp.indices.componentType]).newbyteorder("<")
        idx = np.frombuffer(blob, dtype=idt, count=sp.count,
                            offset=(ibv.byteOffset or 0) + (sp.indices.byteOffset or 0))
        vbv = gltf.bufferViews[sp.values.bufferView]
        vals = np.frombuffer(blob, dtype=dtype, count=sp.count * n,
                             offset=(vbv.byteOffset or 0) + (sp.values.byteOffset or 0)).reshape(sp.count, n)
        out = out.copy()
        out[idx.astype(np.int64)] = vals
    if acc.componentType == 5126:
        out = out.astype(np.float64)
    elif acc.normalized:
        info = np.iinfo(dtype)
        out = np.maximum(out.astype(np.float64) / info.max, -1.0)
    if acc.type == "MAT4":
        out = out.reshape(acc.count, 4, 4).transpose(0, 2, 1)  # column-major in the file
    return out


def _read_nodes(gltf) -> tuple[Node, ...]:
    parents = [-1] * len(gltf.nodes)
    for i, n in enumerate(gltf.nodes):
        for c in n.children or []:
            parents[c] = i
    nodes = []
    for i, n in enumerate(gltf.nodes):
        if n.matrix is not None:
            m = np.array(n.matrix, dtype=np.float64).reshape(4, 4).T
            t, q, s = _decompose(m)
        else:
            t = np.array(n.translation if n.translation is not None else [0.0, 0.0, 0.0], dtype=np.float64)
            q = np.array(n.rotation if n.rotation is not None else [0.0, 0.0, 0.0, 1.0], dtype=np.float64)
            s = np.array(n.scale if n.scale is not None else [1.0, 1.0, 1.0], dtype=np.float64)
            q = q / max(np.linalg.norm(q), 1e-12)
            m = _trs(t, q, s)
        nodes.append(Node(name=n.name or "", parent=parents[i], translation=t, rotation=q, scale=s, matrix=m))
    return tuple(nodes)


def _rest_world(nodes: tuple[Node, ...], i: int) -> np.ndarray:
    """``(4, 4)`` rest ``node2world`` of node ``i`` (identity for ``i = -1``)."""
    m = np.eye(4)
    while i >= 0:
        m = nodes[i].matrix @ m
        i = nodes[i].parent
    return m


def _read_texture(gltf, blob: bytes, path: Path, material) -> tuple[np.ndarray | None, np.ndarray, int]:
    """Base-colour image ``(h, w, 3)`` in [0, 1] or ``None``, factor ``(3,)``, its TEXCOORD set."""
    from PIL import Image

    factor = np.ones(3)
    if material is None or material.pbrMetallicRoughness is None:
        return None, factor, 0
    pbr = material.pbrMetallicRoughness
    if pbr.baseColorFactor is not None:
        factor = np.asarray(pbr.baseColorFactor[:3], dtype=np.float64)
    info = pbr.baseColorTexture
    if info is None or info.index is None:
        return None, factor, 0
    source = gltf.textures[info.index].source
    if source is None:
        return None, factor, 0
    image = gltf.images[source]
    if image.bufferView is not None:
        bv = gltf.bufferViews[image.bufferView]
        data = blob[(bv.byteOffset or 0):(bv.byteOffset or 0) + bv.byteLength]
    elif image.uri and image.uri.startswith("data:"):
        data = base64.b64decode(image.uri.split(",", 1)[1])
    elif image.uri:
        file = path.parent / image.uri
        if not file.is_file():
            raise _err(path, f"texture {image.uri} not found", "put it beside the .glb or embed it")
        data = file.read_bytes()
    else:
        return None, factor, 0
    try:
        img = Image.open(io.BytesIO(data)).convert("RGB")
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a bad file
        raise _err(path, f"cannot decode the base-colour texture ({exc})", "re-export it with a PNG or JPEG texture")
    return np.asarray(img, dtype=np.float32) / 255.0, factor, int(info.texCoord or 0)


def _read_clips(gltf, blob: bytes, path: Path) -> dict[str, Clip]:
    clips: dict[str, Clip] = {}
    for k, anim in enumerate(gltf.animations):
        channels = []
        for ch in anim.channels:
            target = ch.target
            if target is None or target.node is None or target.path not in ("translation", "rotation", "scale"):
                continue
            smp = anim.samplers[ch.sampler]
            times = _read_accessor(gltf, blob, smp.input, path).reshape(-1).astype(np.float64)
            vals = _read_accessor(gltf, blob, smp.output, path).astype(np.float64)
            interp = (smp.interpolation or "LINEAR").upper()
            if interp == "CUBICSPLINE":
                vals = vals.reshape(len(times), 3, -1)
            else:
                vals = vals.reshape(len(times), -1)
            if len(times) == 0:
                continue
            channels.append(Channel(node=int(ch.target.node), path=ch.target.path, interpolation=interp,
                                    times=times, values=vals))
        if not channels:
            continue
        start = min(float(c.times[0]) for c in channels)
        end = max(float(c.times[-1]) for c in channels)
        name = anim.name or f"clip{k}"
        while name in clips:
            name += "_"
        clips[name] = Clip(name=name, start=start, duration=max(end - start, 1e-6), channels=tuple(channels))
    return clips


def _weld(pos: np.ndarray, wdense: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge vertices with equal position and skin weights (glTF duplicates them at UV seams).

    Returns ``(V',)`` index of a kept original vertex per welded vertex and the ``(T, 3)`` faces
    into the welded vertices.
    """
    extent = float(np.ptp(pos, axis=0).max()) or 1.0
    key = np.concatenate([np.round(pos / (extent * 1e-6)), np.round(wdense * 1e4)], axis=1)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)[faces]


def load_asset(path: str | Path) -> Asset:
    """Read a rigged, animated glTF 2.0 binary (``.glb``).

    Uses the first skinned mesh node (its first triangle primitive with ``JOINTS_0`` and
    ``WEIGHTS_0``), its skin, the node tree, every animation (translation, rotation and scale
    channels; LINEAR, STEP and CUBICSPLINE) and the primitive's base-colour texture.

    Args:
        path: the ``.glb`` file.
    Returns:
        the :class:`Asset`, with its skeleton in object space (see the module docstring).
    Raises:
        HerdInputError: the file is missing, is not a ``.glb``, or has no skinned mesh, no
            animation or a skin with several root joints.
    """
    import pygltflib

    path = Path(path)
    if not path.is_file():
        raise _err(path, "asset file not found", "pass the path of a rigged, animated glTF 2.0 binary (.glb)")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"glTF":
        raise _err(path, "not a glTF 2.0 binary (.glb)", _FIX)
    try:
        gltf = pygltflib.GLTF2().load_binary(str(path))
    except Exception as exc:  # noqa: BLE001 - pygltflib raises many kinds on bad files
        raise _err(path, f"cannot parse the .glb ({type(exc).__name__})", _FIX)
    blob = gltf.binary_blob() or b""
    nodes = _read_nodes(gltf)

    # The first node with a skinned mesh that has a usable primitive.
    mesh_node = prim = None
    for i, n in enumerate(gltf.nodes):
        if n.mesh is None or n.skin is None:
            continue
        for p in gltf.meshes[n.mesh].primitives:
            a = p.attributes
            if (p.mode in (None, 4) and a.POSITION is not None and a.JOINTS_0 is not None
                    and a.WEIGHTS_0 is not None):
                mesh_node, prim = i, p
                break
        if prim is not None:
            break
    if prim is None:
        raise _err(path, "no skinned triangle mesh (a mesh node with a skin, JOINTS_0 and WEIGHTS_0)", _FIX)
    clips = _read_clips(gltf, blob, path)
    if not clips:
        raise _err(path, "no animation", "add at least one animation clip (e.g. a walk cycle) and re-export")
    skin = gltf.skins[gltf.nodes[mesh_node].skin]

    # Skeleton: the skin's joints in depth-first order from the one root joint.
    skin_nodes = [int(j) for j in skin.joints]
    joint_set = set(skin_nodes)
    roots = [j for j in skin_nodes if nodes[j].parent not in joint_set]
    if len(roots) != 1:
        names = ", ".join(nodes[j].name or str(j) for j in roots[:4])
        raise _err(path, f"the skin has {len(roots)} root joints ({names})",
                   "parent all joints under one root bone and re-export")
    children: dict[int, list[int]] = {}
    for j in skin_nodes:
        children.setdefault(nodes[j].parent, []).append(j)
    order: list[int] = []
    stack = [roots[0]]
    while stack:
        j = stack.pop()
        order.append(j)
        kids = [c for c in (gltf.nodes[j].children or []) if c in joint_set]
        stack.extend(reversed(kids))
    skin_index = np.array([skin_nodes.index(j) for j in order], dtype=np.int64)
    node_to_joint = {n: k for k, n in enumerate(order)}
    parents = np.array([-1] + [node_to_joint[nodes[j].parent] for j in order[1:]], dtype=np.int64)
    J = len(order)

    if skin.inverseBindMatrices is not None:
        ibm_skin = _read_accessor(gltf, blob, skin.inverseBindMatrices, path)
    else:
        ibm_skin = np.tile(np.eye(4), (len(skin_nodes), 1, 1))
    inverse_bind = ibm_skin[skin_index]
    bind_mesh = np.linalg.inv(inverse_bind)  # joint2mesh in the bind pose

    # Where the bind pose sits in world space: glTF ignores a skinned mesh node's transform, but
    # exporters put the bind pose either in world space or under the mesh node. Take the reading
    # whose root joint is closer to the root joint's rest placement in the node tree.
    root_parent = nodes[order[0]].parent
    root_rest = _rest_world(nodes, order[0])
    mesh_world = _rest_world(nodes, mesh_node)
    cands = [np.eye(4), mesh_world]
    mesh2world = min(cands, key=lambda c: float(np.abs(c @ bind_mesh[0] - root_rest).sum()))
    bind_world = mesh2world[None] @ bind_mesh  # (J, 4, 4) joint2world
    bind_local = np.empty_like(bind_world)
    bind_local[0] = np.linalg.inv(_rest_world(nodes, root_parent)) @ bind_world[0]
    for j in range(1, J):
        bind_local[j] = inverse_bind[parents[j]] @ bind_mesh[j]

    # Mesh: positions, skin influences (skeleton order), UVs per corner; weld seams.
    attrs = prim.attributes
    pos = _read_accessor(gltf, blob, attrs.POSITION, path).astype(np.float64)
    V0 = len(pos)
    jnt = [_read_accessor(gltf, blob, attrs.JOINTS_0, path)]
    wts = [_read_accessor(gltf, blob, attrs.WEIGHTS_0, path)]
    if getattr(attrs, "JOINTS_1", None) is not None and getattr(attrs, "WEIGHTS_1", None) is not None:
        jnt.append(_read_accessor(gltf, blob, attrs.JOINTS_1, path))
        wts.append(_read_accessor(gltf, blob, attrs.WEIGHTS_1, path))
    skin_to_joint = np.empty(len(skin_nodes), dtype=np.int64)
    skin_to_joint[skin_index] = np.arange(J)
    sj = skin_to_joint[np.concatenate(jnt, axis=1).astype(np.int64)]
    sw = np.clip(np.concatenate(wts, axis=1).astype(np.float64), 0.0, None)
    total = sw.sum(axis=1, keepdims=True)
    if np.any(total <= 0):
        raise _err(path, "some vertices have no skin weight", "weight-paint every vertex and re-export")
    sw = sw / total
    if prim.indices is not None:
        faces0 = _read_accessor(gltf, blob, prim.indices, path).reshape(-1, 3).astype(np.int64)
    else:
        faces0 = np.arange(V0 - V0 % 3, dtype=np.int64).reshape(-1, 3)
    material = gltf.materials[prim.material] if prim.material is not None else None
    texture, base_color, texcoord = _read_texture(gltf, blob, path, material)
    uv_acc = getattr(attrs, f"TEXCOORD_{texcoord}", None)
    if uv_acc is not None:
        uv = _read_accessor(gltf, blob, uv_acc, path).astype(np.float64)
    else:
        uv, texture = np.zeros((V0, 2)), None
    wdense = np.zeros((V0, J))
    np.add.at(wdense, (np.arange(V0)[:, None], sj), sw)
    keep, faces = _weld(pos, wdense, faces0)
    good = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    faces, corner_uv = faces[good], uv[faces0[good]]
    mesh_verts, skin_joints, skin_weights = pos[keep], sj[keep], sw[keep]

    # Object space: face +z, metres-like, centred on the y axis with the lowest vertex at y = 0.
    world_verts = _apply(mesh2world, mesh_verts)
    joint_world = bind_world[:, :3, 3]
    names = _unique_names([nodes[j].name for j in order])
    yaw = _forward_yaw(names, joint_world)
    rot = _yaw_matrix(yaw)
    v = world_verts @ rot.T
    height = float(np.ptp(v[:, 1]))
    if height <= 0:
        raise _err(path, "the mesh has no height", _FIX)
    scale = ASSET_HEIGHT / height
    lo, hi = v.min(axis=0), v.max(axis=0)
    shift = -scale * np.array([(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2])
    world2obj = np.eye(4)
    world2obj[:3, :3] = scale * rot
    world2obj[:3, 3] = shift
    rest_joints = _apply(world2obj, joint_world)
    rest_verts = _apply(world2obj, world_verts)
    symmetry = symmetry_map(names, rest_joints)
    skeleton = Skeleton(name=path.stem, joint_names=tuple(names), parents=parents,
                        rest_joints=rest_joints, symmetry=symmetry)
    return Asset(name=path.stem, path=path, skeleton=skeleton, joint_nodes=np.array(order, dtype=np.int64),
                 skin_index=skin_index, root_parent=root_parent, nodes=nodes, inverse_bind=inverse_bind,
                 bind_local=bind_local, mesh2world=mesh2world, world2obj=world2obj, scale=scale,
                 mesh_verts=mesh_verts, rest_verts=rest_verts, faces=faces, skin_joints=skin_joints,
                 skin_weights=skin_weights, corner_uv=corner_uv, texture=texture, base_color=base_color,
                 clips=clips)


def _unique_names(names: list[str]) -> list[str]:
    out: list[str] = []
    for k, n in enumerate(names):
        n = n or f"joint{k}"
        base, i = n, 1
        while n in out:
            n, i = f"{base}_{i}", i + 1
        out.append(n)
    return out


def _forward_yaw(names: list[str], joints: np.ndarray) -> float:
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


# ----------------------------------------------------------------------------------------------
# Symmetry


_SIDE_WORDS = re.compile(r"left|right", re.IGNORECASE)
_SIDE_TOKENS = re.compile(r"(?:(?<=^)|(?<=[_.\-\s]))([lr]|f[lr]|b[lr]|h[lr])(?=$|[_.\-\s])", re.IGNORECASE)
_TRAILING_NUMBER = re.compile(r"[_.\-]?\d+$")


def _side_key(name: str) -> tuple[str, str] | None:
    """``(name with its side marker replaced by '*', side 'l' or 'r')``, or ``None`` for a centre name."""
    m = _SIDE_WORDS.search(name)
    if m:
        side = m.group(0).lower()[0]
        return (name[:m.start()] + "*" + name[m.end():]).lower(), side
    m = _SIDE_TOKENS.search(name)
    if m:
        tok = m.group(1).lower()
        side, pre = tok[-1], tok[:-1]
        return (name[:m.start()] + pre + "*" + name[m.end():]).lower(), side
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


# ----------------------------------------------------------------------------------------------
# Bodies


# Checked in this order (ForeArm is a front leg, BackLeg a hind leg).
_GROUPS = (
    ("root", ("root", "armature")),
    ("tail", ("tail",)),
    ("front_leg", ("arm", "hand", "shoulder", "clavicle", "finger", "wrist", "elbow", "front")),
    ("hind_leg", ("leg", "foot", "thigh", "calf", "shin", "knee", "toe", "ankle", "hind")),
    ("head", ("head", "neck", "jaw", "skull", "nose")),
    ("spine", ("spine", "chest", "hip", "pelvis", "torso", "back", "body")),
)


def bone_group(name: str) -> str:
    """Body part of a joint, by a word in its name: root, tail, head, front_leg, hind_leg, spine or other."""
    low = name.lower()
    for group, words in _GROUPS:
        if any(w in low for w in words):
            return group
    return "other"


def _pose_world(asset: Asset, bone_scale: np.ndarray, clip: Clip | None, t: float) -> np.ndarray:
    """``(J, 4, 4)`` ``joint2world`` (raw units) at clip time ``t``, bind pose if ``clip`` is ``None``.

    Each non-root joint's local translation is multiplied by ``bone_scale[j]`` (``(J,)``).
    """
    nodes = asset.nodes
    J = asset.skeleton.num_joints
    parents = asset.skeleton.parents
    over = clip.overrides(t) if clip is not None else {}

    def local(i: int) -> np.ndarray:
        o = over.get(i)
        if not o:
            return nodes[i].matrix
        n = nodes[i]
        return _trs(o.get("translation", n.translation), o.get("rotation", n.rotation), o.get("scale", n.scale))

    chain = []
    i = asset.root_parent
    while i >= 0:
        chain.append(i)
        i = nodes[i].parent
    base = np.eye(4)
    for i in reversed(chain):
        base = base @ (local(i) if clip is not None else nodes[i].matrix)
    out = np.empty((J, 4, 4))
    for j in range(J):
        if clip is None:
            m = asset.bind_local[j].copy()
        else:
            m = local(int(asset.joint_nodes[j])).copy()
        if j > 0:
            m[:3, 3] *= bone_scale[j]
        out[j] = (base if j == 0 else out[parents[j]]) @ m
    return out


@dataclasses.dataclass(eq=False)
class AssetBody:
    """One individual of an asset: a :class:`~herd.synth.types.Body` in object space (+y up,
    +z forward, metres, ground at y = 0 in the rest pose).

    Attributes:
        asset: the asset it comes from.
        skeleton: the asset's skeleton with this individual's rest joints ``(J, 3)``.
        faces: ``(T, 3)`` int triangles.
        rest_verts: ``(V, 3)`` bind-pose vertices in object space, skinned with this individual's
            bind skeleton (scaled bones).
        params: ``{"asset", "global_scale", "bone_scale": {joint: factor}, "tint": [r, g, b]}``.
        bone_scale: ``(J,)`` factor on each joint's local translation (1 for the root).
        global_scale: overall size factor.
        tint: ``(3,)`` colour multiplier.
        world2obj: ``(4, 4)`` this individual's world (raw units) to object-space transform.
    """

    asset: Asset
    skeleton: Skeleton
    faces: np.ndarray
    rest_verts: np.ndarray
    params: dict
    bone_scale: np.ndarray
    global_scale: float
    tint: np.ndarray
    world2obj: np.ndarray
    _offsets: dict = dataclasses.field(default_factory=dict, repr=False)

    def _skin(self, joint2world: np.ndarray) -> np.ndarray:
        """``(V, 3)`` object-space vertices skinned with ``(J, 4, 4)`` ``joint2world`` transforms."""
        a = self.asset
        mesh2obj = self.world2obj[None] @ joint2world @ a.inverse_bind  # (J, 4, 4)
        per = np.einsum("vkab,vb->vka", mesh2obj[a.skin_joints][..., :3, :3], a.mesh_verts)
        per = per + mesh2obj[a.skin_joints][..., :3, 3]
        return np.einsum("vk,vka->va", a.skin_weights, per)

    def _clip_offset(self, clip: Clip, t: float) -> np.ndarray:
        """``(3,)`` horizontal shift that keeps the clip's root near its bind position at time ``t``.

        The reference joint is the first joint with a translation channel (the root otherwise);
        its mean horizontal offset from the bind pose over the clip, and any drift from the
        clip's start to its end (root motion), are removed. Its height is kept.
        """
        if clip.name not in self._offsets:
            animated = {c.node for c in clip.channels if c.path == "translation"}
            ref = next((j for j, n in enumerate(self.asset.joint_nodes) if int(n) in animated), 0)
            times = clip.start + clip.duration * np.linspace(0.0, 1.0, 33)
            pos = np.array([_apply(self.world2obj, _pose_world(self.asset, self.bone_scale, clip, s)[ref, :3, 3])
                            for s in times])
            mean = pos[:-1].mean(axis=0) - self.skeleton.rest_joints[ref]
            drift = pos[-1] - pos[0]
            self._offsets[clip.name] = (mean * np.array([1.0, 0.0, 1.0]), drift * np.array([1.0, 0.0, 1.0]))
        mean, drift = self._offsets[clip.name]
        return -(mean + drift * ((t - clip.start) / clip.duration - 0.5))

    def pose_clip(self, clip: str | None, time: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Posed vertices and joints for a clip of the asset at a clip time.

        Args:
            clip: the animation's name, or ``None`` for the bind pose (gives :attr:`rest_verts`
                and the skeleton's rest joints).
            time: seconds on the clip's own time line, in ``[start, start + duration]``.
        Returns:
            verts: ``(V, 3)`` and joints: ``(J, 3)``, object space.
        """
        c = None if clip is None else self.asset.clips[clip]
        joint2world = _pose_world(self.asset, self.bone_scale, c, time)
        verts = self._skin(joint2world)
        joints = _apply(self.world2obj, joint2world[:, :3, 3])
        if c is not None:
            off = self._clip_offset(c, time)
            verts, joints = verts + off, joints + off
        return verts, joints

    def pose(self, motion: "AssetMotion", t: int) -> tuple[np.ndarray, np.ndarray]:
        """Posed ``(V, 3)`` vertices and ``(J, 3)`` joints at frame ``t`` of ``motion``, object space."""
        clip = getattr(motion, "clip", None)
        if clip not in self.asset.clips:
            raise ValueError(f"motion {getattr(motion, 'name', motion)!r} is not a clip of asset {self.asset.name}")
        return self.pose_clip(clip, float(motion.clip_times[t]))

    def albedo(self, face_ids: np.ndarray, bary: np.ndarray) -> np.ndarray:
        """``(N, 3)`` colours in [0, 1] at surface points: faces ``(N,)`` and barycentrics ``(N, 3)``.

        Bilinear texture lookup (wrapping) at the interpolated UV, times the base-colour factor
        and this individual's tint.
        """
        a = self.asset
        colour = a.base_color * self.tint
        face_ids = np.asarray(face_ids, dtype=np.int64)
        if a.texture is None:
            return np.clip(np.broadcast_to(colour, (len(face_ids), 3)).astype(np.float64), 0.0, 1.0)
        uv = np.einsum("nk,nkc->nc", np.asarray(bary, dtype=np.float64), a.corner_uv[face_ids])
        return np.clip(sample_texture(a.texture, uv) * colour, 0.0, 1.0)

    def bone_lengths(self) -> np.ndarray:
        """``(J - 1,)`` this individual's rest bone lengths in metres (bone b ends at joint b + 1)."""
        return self.skeleton.bone_lengths()


def sample_texture(image: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Bilinear lookup with wrapping.

    Args:
        image: ``(h, w, 3)`` float image.
        uv: ``(N, 2)`` glTF texture coordinates (u right, v down, [0, 1] spans the image once).
    Returns:
        ``(N, 3)`` float64 colours.
    """
    h, w = image.shape[:2]
    x = uv[:, 0] * w - 0.5
    y = uv[:, 1] * h - 0.5
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    x0, y0 = x0.astype(np.int64) % w, y0.astype(np.int64) % h
    x1, y1 = (x0 + 1) % w, (y0 + 1) % h
    img = image.astype(np.float64, copy=False)
    top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
    bot = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
    return top * (1 - fy) + bot * fy


def make_asset_body(asset: Asset, rng: np.random.Generator | None) -> AssetBody:
    """One individual with its own proportions, size and colour.

    Bone factors (on each joint's local translation, in ``BONE_SCALE_RANGE``) are a factor per
    body part (:func:`bone_group`; the root group stays 1) times a small per-joint jitter, drawn
    once per symmetric pair so left and right match. The global scale is in
    ``GLOBAL_SCALE_RANGE``; the tint is a mild per-channel colour multiplier. The result is
    re-centred on the y axis with its lowest rest vertex at y = 0.

    Args:
        asset: from :func:`load_asset`.
        rng: the random source; ``None`` gives the asset as it is (no variation).
    Returns:
        the :class:`AssetBody`.
    """
    sk = asset.skeleton
    J = sk.num_joints
    groups = [bone_group(n) for n in sk.joint_names]
    bone_scale = np.ones(J)
    global_scale, tint = 1.0, np.ones(3)
    if rng is not None:
        lo, hi = BONE_SCALE_RANGE
        part = {g: float(np.exp(rng.uniform(np.log(0.85), np.log(1.18)))) for g, _ in _GROUPS[1:]}
        part["other"] = float(np.exp(rng.uniform(np.log(0.9), np.log(1.1))))
        part["root"] = 1.0
        jitter = rng.uniform(0.95, 1.05, size=J)
        for j in range(J):
            k = min(j, int(sk.symmetry[j]))
            bone_scale[j] = 1.0 if groups[j] == "root" else np.clip(part[groups[k]] * jitter[k], lo, hi)
        bone_scale[0] = 1.0
        global_scale = float(rng.uniform(*GLOBAL_SCALE_RANGE))
        tint = rng.uniform(0.85, 1.1) * rng.uniform(0.92, 1.08, size=3)

    joint2world = _pose_world(asset, bone_scale, None, 0.0)
    world2obj = np.diag([global_scale, global_scale, global_scale, 1.0]) @ asset.world2obj
    mesh2world = joint2world @ asset.inverse_bind
    per = np.einsum("vkab,vb->vka", mesh2world[asset.skin_joints][..., :3, :3], asset.mesh_verts)
    verts_world = np.einsum("vk,vka->va", asset.skin_weights, per + mesh2world[asset.skin_joints][..., :3, 3])
    v = _apply(world2obj, verts_world)
    lo_v, hi_v = v.min(axis=0), v.max(axis=0)
    world2obj[:3, 3] -= np.array([(lo_v[0] + hi_v[0]) / 2, lo_v[1], (lo_v[2] + hi_v[2]) / 2])
    rest_joints = _apply(world2obj, joint2world[:, :3, 3])
    skeleton = dataclasses.replace(sk, rest_joints=rest_joints)
    params = {
        "asset": asset.name,
        "global_scale": round(global_scale, 6),
        "bone_scale": {n: round(float(s), 6) for n, s in zip(sk.joint_names, bone_scale)},
        "tint": [round(float(c), 6) for c in tint],
    }
    body = AssetBody(asset=asset, skeleton=skeleton, faces=asset.faces.copy(), rest_verts=np.zeros((0, 3)),
                     params=params, bone_scale=bone_scale, global_scale=global_scale, tint=tint,
                     world2obj=world2obj)
    body.rest_verts = body._skin(joint2world)
    return body


# ----------------------------------------------------------------------------------------------
# Motions


@dataclasses.dataclass(eq=False)
class AssetMotion:
    """One video's motion from an asset clip: a :class:`~herd.synth.types.Motion`.

    Attributes:
        num_frames: ``F``.
        obj2world: ``(F, 4, 4)`` object-to-world transforms (world: +y up, ground at y = 0; a yaw
            about +y and a translation on the ground, the path centred on the world origin).
        name: ``"<clip> x<speed>"``.
        clip: the asset clip's name.
        speed: playback and ground-speed factor.
        phase: clip time (s, from the clip's start) at frame 0.
        fps: frames per second.
        clip_times: ``(F,)`` clip time (s, on the clip's own time line) of each frame.
        ground_speed: metres per second along the heading.
    """

    num_frames: int
    obj2world: np.ndarray
    name: str
    clip: str
    speed: float
    phase: float
    fps: float
    clip_times: np.ndarray
    ground_speed: float

    @property
    def params(self) -> dict:
        """JSON-able description for the ground truth."""
        return {"clip": self.clip, "speed": round(self.speed, 6), "phase": round(self.phase, 6),
                "fps": self.fps, "ground_speed": round(self.ground_speed, 6)}


def clip_ground_speed(name: str) -> float:
    """Ground speed (m/s) of a clip before the speed factor, by a word in its name (0 if none)."""
    low = name.lower()
    return next((v for k, v in CLIP_SPEEDS.items() if k in low), 0.0)


def make_asset_motion(asset: Asset, rng: np.random.Generator, num_frames: int, fps: float,
                      clip: str | None = None) -> AssetMotion:
    """A clip of the asset played at a random speed and phase, moving along a gently turning path.

    Frame ``t`` shows the clip at ``start + (phase + t * speed / fps) mod duration``. The object
    moves along its heading (object +z) at :func:`clip_ground_speed` times the speed factor, the
    heading turning at a smooth random yaw rate of at most 30 deg/s (none when standing still).

    Args:
        asset: from :func:`load_asset`.
        rng: the random source.
        num_frames: ``F``.
        fps: frames per second.
        clip: force a clip by name; by default Walk and Run are twice as likely as Survey.
    Returns:
        the :class:`AssetMotion`.
    """
    names = list(asset.clips)
    if clip is None:
        w = np.array([next((v for k, v in CLIP_WEIGHTS.items() if k in n.lower()), 0.2) for n in names])
        clip = names[int(rng.choice(len(names), p=w / w.sum()))]
    elif clip not in asset.clips:
        raise HerdInputError(f"{asset.path}: no clip {clip!r}; use one of {', '.join(names)}")
    c = asset.clips[clip]
    speed = float(rng.uniform(*SPEED_RANGE))
    phase = float(rng.uniform(0.0, c.duration))
    frames = np.arange(num_frames, dtype=np.float64)
    clip_times = c.start + np.mod(phase + frames * speed / fps, c.duration)
    ground_speed = clip_ground_speed(clip) * speed

    yaw0 = float(rng.uniform(-np.pi, np.pi))
    freqs = rng.uniform(0.05, 0.3, size=2)
    phases = rng.uniform(0.0, 2 * np.pi, size=2)
    amps = rng.uniform(0.3, 1.0, size=2)
    rate_max = float(rng.uniform(0.0, MAX_YAW_RATE)) if ground_speed > 0 else 0.0
    secs = frames / fps
    wave = (amps[:, None] * np.sin(2 * np.pi * freqs[:, None] * secs[None] + phases[:, None])).sum(axis=0)
    rate = rate_max * wave / amps.sum()
    yaw = yaw0 + np.concatenate([[0.0], np.cumsum(rate[:-1]) / fps])
    step = ground_speed / fps * np.stack([np.sin(yaw), np.zeros_like(yaw), np.cos(yaw)], axis=-1)
    pos = np.concatenate([np.zeros((1, 3)), np.cumsum(step[:-1], axis=0)])
    pos -= pos.mean(axis=0)
    obj2world = np.tile(np.eye(4), (num_frames, 1, 1))
    for f in range(num_frames):
        obj2world[f, :3, :3] = _yaw_matrix(yaw[f])
    obj2world[:, :3, 3] = pos
    return AssetMotion(num_frames=num_frames, obj2world=obj2world, name=f"{clip} x{speed:.2f}", clip=clip,
                       speed=speed, phase=phase, fps=float(fps), clip_times=clip_times, ground_speed=ground_speed)
