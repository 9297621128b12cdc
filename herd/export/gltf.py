"""An animated, skinned glTF 2.0 binary (``.glb``) of one individual: mesh with vertex colours,
skeleton, skinning and one animation clip of the video's motion, plus the video's camera.

Layout of the scene:
- ``body``: the mesh in canonical (rest) space, skinned by the skeleton; top-4 weights per vertex.
- joint nodes, one per skeleton joint, nested as the skeleton; each has the individual's bone
  offset as its translation and is animated by its local rotation (the root also by translation).
  Bind pose: joints at the canonical rest positions with no rotation, so the inverse bind matrix of
  joint j is a translation by ``-rest_j`` and glTF skinning reproduces herd's linear blend skinning.
- ``camera``: a perspective camera animated along the video's cameras (object space; glTF cameras
  look down -z with +y up, so the OpenCV camera is turned 180 degrees about x).

Soft deformation is not representable in glTF skinning; the per-frame meshes carry it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pygltflib as G
from scipy.spatial.transform import Rotation

from herd.atomic import atomic_file

ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963
_CV_TO_GL = np.diag([1.0, -1.0, -1.0, 1.0])


@dataclasses.dataclass
class GltfAnimation:
    """What goes into the file.

    Attributes:
        verts: ``(V, 3)`` canonical vertices; faces: ``(F, 3)``; colors: ``(V, 3)`` sRGB in [0, 1]
            (written as linear COLOR_0, as glTF wants).
        weights: ``(V, J)`` skinning weights (rows sum to 1).
        joint_names: J names; parents: ``(J,)`` parent index, -1 for the root (parents before children).
        rest_joints: ``(J, 3)`` canonical rest joints (the bind pose).
        joint2obj: ``(N, J, 4, 4)`` per frame, each joint's frame in posed object space.
        obj2cam: ``(N, 4, 4)`` per frame (OpenCV camera); intrinsics: ``(N, 4)`` fx, fy, cx, cy.
        image_size: (width, height) the intrinsics refer to.
        fps: frames per second of the clip.
        name: the clip's name.
        normals: ``(V, 3)`` unit canonical vertex normals (None: the mesh's own, area-weighted).
    """

    verts: np.ndarray
    faces: np.ndarray
    colors: np.ndarray
    weights: np.ndarray
    joint_names: list[str]
    parents: np.ndarray
    rest_joints: np.ndarray
    joint2obj: np.ndarray
    obj2cam: np.ndarray
    intrinsics: np.ndarray
    image_size: tuple[int, int]
    fps: float = 10.0
    name: str = "motion"
    normals: np.ndarray | None = None


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    """sRGB colours in [0, 1] to linear light (glTF's COLOR_0 is linear; herd's colours are sRGB)."""
    c = np.clip(c, 0, 1)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def top4_weights(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(V, J)`` weights to ``(V, 4)`` uint16 joint indices (distinct among the used slots; unused
    slots have weight 0 and joint 0) and ``(V, 4)`` float32 weights summing to 1 in float32."""
    J = weights.shape[1]
    k = min(4, J)
    idx = np.argsort(-weights, axis=1)[:, :k]
    w = np.take_along_axis(weights, idx, 1).astype(np.float64).clip(0)
    w[w < 1e-4] = 0.0
    w[:, 0] = np.where(w.sum(1) == 0, 1.0, w[:, 0])
    w /= w.sum(1, keepdims=True)
    if k < 4:  # fewer than 4 joints: pad with zero weights on distinct unused slots
        idx = np.concatenate([idx, np.zeros((len(idx), 4 - k), idx.dtype)], 1)
        w = np.concatenate([w, np.zeros((len(w), 4 - k))], 1)
    w32 = w.astype(np.float32)
    w32[:, 0] += np.float32(1.0) - w32.sum(1, dtype=np.float32)  # absorb float32 rounding
    idx[w32 == 0] = 0  # unused slots point at joint 0, as the validator expects
    return idx.astype(np.uint16), w32


class _Blob:
    """Binary buffer with 4-byte aligned buffer views and their accessors."""

    def __init__(self, gltf: G.GLTF2):
        self.gltf, self.data = gltf, bytearray()

    def add(self, array: np.ndarray, acc_type: str, target: int | None = None, minmax: bool = False) -> int:
        ctype = {
            np.dtype(np.float32): G.FLOAT,
            np.dtype(np.uint16): G.UNSIGNED_SHORT,
            np.dtype(np.uint32): G.UNSIGNED_INT,
        }[array.dtype]
        raw = np.ascontiguousarray(array).tobytes()
        self.gltf.bufferViews.append(
            G.BufferView(buffer=0, byteOffset=len(self.data), byteLength=len(raw), target=target)
        )
        self.data += raw + b"\0" * (-len(raw) % 4)
        flat = array.reshape(len(array), -1)
        acc = G.Accessor(
            bufferView=len(self.gltf.bufferViews) - 1, componentType=ctype, count=len(array), type=acc_type
        )
        if minmax:
            acc.min, acc.max = flat.min(0).tolist(), flat.max(0).tolist()
        self.gltf.accessors.append(acc)
        return len(self.gltf.accessors) - 1


def _quat(R: np.ndarray) -> np.ndarray:
    """``(..., 3, 3)`` to unit quaternions ``(..., 4)`` x, y, z, w as float32, sign-continuous in time."""
    q = Rotation.from_matrix(R.reshape(-1, 3, 3)).as_quat().reshape(*R.shape[:-2], 4)
    for t in range(1, q.shape[0]):  # avoid the long way round when interpolating
        flip = (q[t] * q[t - 1]).sum(-1) < 0
        q[t][flip] *= -1
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    return q.astype(np.float32)


def build_gltf(a: GltfAnimation) -> G.GLTF2:
    """The glTF document (with its binary blob set)."""
    import trimesh

    gltf = G.GLTF2(asset=G.Asset(generator="herd", version="2.0"), scene=0)
    blob = _Blob(gltf)
    J, N = len(a.joint_names), len(a.joint2obj)
    normals = trimesh.Trimesh(a.verts, a.faces, process=False).vertex_normals if a.normals is None else a.normals
    normals = np.array(normals, dtype=np.float64)  # a copy: trimesh caches its normals read-only
    normals /= np.linalg.norm(normals, axis=1, keepdims=True).clip(1e-12)
    joints, weights = top4_weights(a.weights)
    attrs = G.Attributes(
        POSITION=blob.add(a.verts.astype(np.float32), G.VEC3, ARRAY_BUFFER, minmax=True),
        NORMAL=blob.add(normals.astype(np.float32), G.VEC3, ARRAY_BUFFER),
        COLOR_0=blob.add(srgb_to_linear(a.colors).astype(np.float32), G.VEC3, ARRAY_BUFFER),
        JOINTS_0=blob.add(joints, G.VEC4, ARRAY_BUFFER),
        WEIGHTS_0=blob.add(weights, G.VEC4, ARRAY_BUFFER),
    )
    indices = blob.add(a.faces.astype(np.uint32).reshape(-1), G.SCALAR, ELEMENT_ARRAY_BUFFER, minmax=True)
    gltf.materials.append(
        G.Material(
            name="vertex colour",
            doubleSided=False,
            pbrMetallicRoughness=G.PbrMetallicRoughness(
                baseColorFactor=[1, 1, 1, 1], metallicFactor=0.0, roughnessFactor=0.9
            ),
        )
    )
    gltf.meshes.append(G.Mesh(name="body", primitives=[G.Primitive(attributes=attrs, indices=indices, material=0)]))

    # joints: node j + 1 is joint j; local transform = inv(parent joint2obj) @ joint2obj
    parents = np.asarray(a.parents)
    local = np.empty_like(a.joint2obj)
    for j in range(J):
        local[:, j] = (
            a.joint2obj[:, j] if parents[j] < 0 else np.linalg.inv(a.joint2obj[:, parents[j]]) @ a.joint2obj[:, j]
        )
    gltf.nodes.append(G.Node(name="body", mesh=0, skin=0))
    for j in range(J):
        kids = [int(c) + 1 for c in np.nonzero(parents == j)[0]]
        gltf.nodes.append(
            G.Node(
                name=a.joint_names[j],
                children=kids or None,
                translation=local[0, j, :3, 3].astype(float).tolist(),
                rotation=_quat(local[:1, j, :3, :3])[0].astype(float).tolist(),
            )
        )
    ibm = np.tile(np.eye(4, dtype=np.float32), (J, 1, 1))
    ibm[:, :3, 3] = -a.rest_joints
    ibm_acc = blob.add(ibm.transpose(0, 2, 1).reshape(J, 16).copy(), G.MAT4)  # column-major
    root = int(np.nonzero(parents < 0)[0][0]) + 1
    gltf.skins.append(G.Skin(name="skeleton", joints=list(range(1, J + 1)), inverseBindMatrices=ibm_acc, skeleton=root))

    # the camera: cam2obj with the OpenCV -> glTF camera turn
    W, H = a.image_size
    fy = float(np.median(a.intrinsics[:, 1]))
    extent = float(np.ptp(a.verts, axis=0).max())
    gltf.cameras.append(
        G.Camera(
            type="perspective",
            name="video camera",
            perspective=G.Perspective(
                yfov=float(2 * np.arctan(H / 2 / fy)), aspectRatio=W / H, znear=0.01 * extent, zfar=1000.0 * extent
            ),
        )
    )
    cam2obj = np.linalg.inv(a.obj2cam) @ _CV_TO_GL
    cam_node = len(gltf.nodes)
    gltf.nodes.append(
        G.Node(
            name="camera",
            camera=0,
            translation=cam2obj[0, :3, 3].tolist(),
            rotation=_quat(cam2obj[:1, :3, :3])[0].astype(float).tolist(),
        )
    )
    gltf.scenes.append(G.Scene(name="herd", nodes=[0, root, cam_node]))

    # animation: every joint's rotation, the root's translation, the camera's pose
    times = blob.add((np.arange(N) / a.fps).astype(np.float32), G.SCALAR, minmax=True)
    anim = G.Animation(name=a.name, samplers=[], channels=[])

    def channel(node: int, path: str, values: np.ndarray, acc_type: str) -> None:
        anim.samplers.append(G.AnimationSampler(input=times, output=blob.add(values, acc_type), interpolation="LINEAR"))
        anim.channels.append(
            G.AnimationChannel(sampler=len(anim.samplers) - 1, target=G.AnimationChannelTarget(node=node, path=path))
        )

    for j in range(J):
        channel(j + 1, "rotation", _quat(local[:, j, :3, :3]), G.VEC4)
    channel(root, "translation", local[:, root - 1, :3, 3].astype(np.float32), G.VEC3)
    channel(cam_node, "translation", cam2obj[:, :3, 3].astype(np.float32), G.VEC3)
    channel(cam_node, "rotation", _quat(cam2obj[:, :3, :3]), G.VEC4)
    gltf.animations.append(anim)
    gltf.buffers.append(G.Buffer(byteLength=len(blob.data)))
    gltf.set_binary_blob(bytes(blob.data))
    return gltf


def write_glb(path: Path, a: GltfAnimation) -> None:
    """Write the ``.glb`` atomically (:func:`herd.atomic.atomic_file`)."""
    with atomic_file(path) as tmp:
        build_gltf(a).save_binary(str(tmp))


def skinned_vertices(a: GltfAnimation, frame: int) -> np.ndarray:
    """``(V, 3)`` the glTF's own skinning of frame ``frame`` (top-4 weights, bind pose at the rest
    joints), in object space: what a viewer shows. For tests and checks."""
    joints, weights = top4_weights(a.weights)
    M = a.joint2obj[frame].copy()
    M[:, :3, 3] -= (M[:, :3, :3] @ a.rest_joints[..., None])[..., 0]  # joint2obj @ inverse bind
    x = np.concatenate([a.verts, np.ones((len(a.verts), 1))], 1)
    per = np.einsum("vkij,vj->vki", M[joints.astype(int)], x)[..., :3]
    return (weights[..., None] * per).sum(1)
