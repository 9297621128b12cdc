"""glTF accessors to NumPy arrays (plain, sparse, normalised integers) and Draco-compressed
primitives (``KHR_draco_mesh_compression``, decoded with DracoPy), with the one-line errors a
file herd cannot read gets. Used by :mod:`herd.synth.gltf_decode`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from herd.errors import HerdInputError

if TYPE_CHECKING:
    from herd.synth.gltf_decode import GlbFile

DRACO = "KHR_draco_mesh_compression"
#: What a user is told to do with a file herd cannot read.
FIX = "export it as a glTF 2.0 binary (.glb) with a skinned mesh"
_COMPONENT_DTYPES = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
_TYPE_SIZES = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


def input_error(path: Path, what: str, fix: str = FIX) -> HerdInputError:
    """The one-line error ``"<path>: <what>; <fix>"``."""
    return HerdInputError(f"{path}: {what}; {fix}")


def _normalise(out: np.ndarray, normalized: bool) -> np.ndarray:
    if out.dtype.kind == "f":
        return out.astype(np.float64)
    if normalized:
        info = np.iinfo(out.dtype)
        return np.maximum(out.astype(np.float64) / info.max, -1.0)
    return out


def read_accessor(gltf, blob: bytes, index: int, path: Path) -> np.ndarray:
    """``(count, n)`` array of one accessor; matrices come back ``(count, 4, 4)``."""
    acc = gltf.accessors[index]
    dtype = np.dtype(_COMPONENT_DTYPES[acc.componentType]).newbyteorder("<")
    n = _TYPE_SIZES[acc.type]
    if acc.bufferView is None:
        out = np.zeros((acc.count, n), dtype=dtype)
    else:
        bv = gltf.bufferViews[acc.bufferView]
        if bv.buffer != 0:
            raise input_error(
                path, "data outside the binary chunk is not supported", "re-export it as a self-contained .glb"
            )
        start = (bv.byteOffset or 0) + (acc.byteOffset or 0)
        elem = dtype.itemsize * n
        stride = bv.byteStride or elem
        end = start + (stride * (acc.count - 1) + elem if acc.count else 0)
        if end > len(blob):
            raise input_error(
                path,
                f"accessor {index} reads past the end of the binary chunk",
                "the file is truncated or corrupt; re-export it",
            )
        if stride == elem:
            out = np.frombuffer(blob, dtype=dtype, count=acc.count * n, offset=start).reshape(acc.count, n)
        else:
            raw = np.frombuffer(blob, dtype=np.uint8, count=end - start, offset=start)
            rows = np.lib.stride_tricks.as_strided(raw, shape=(acc.count, elem), strides=(stride, 1))
            out = np.ascontiguousarray(rows).view(dtype).reshape(acc.count, n)
        out = out.copy()
    if acc.sparse is not None and acc.sparse.count:
        sp = acc.sparse
        ibv = gltf.bufferViews[sp.indices.bufferView]
        idt = np.dtype(_COMPONENT_DTYPES[sp.indices.componentType]).newbyteorder("<")
        idx = np.frombuffer(
            blob, dtype=idt, count=sp.count, offset=(ibv.byteOffset or 0) + (sp.indices.byteOffset or 0)
        )
        vbv = gltf.bufferViews[sp.values.bufferView]
        vals = np.frombuffer(
            blob, dtype=dtype, count=sp.count * n, offset=(vbv.byteOffset or 0) + (sp.values.byteOffset or 0)
        ).reshape(sp.count, n)
        out = out.copy()
        out[idx.astype(np.int64)] = vals
    out = _normalise(out, bool(acc.normalized))
    if acc.type == "MAT4":
        out = out.reshape(acc.count, 4, 4).transpose(0, 2, 1)  # column-major in the file
    return out


def _draco_decoder(path: Path):
    try:
        import DracoPy
    except ImportError:
        raise input_error(
            path,
            f"its meshes are Draco-compressed ({DRACO}) and no Draco decoder is installed",
            "pip install DracoPy (Google's Draco decoder), or re-export the asset without mesh compression",
        ) from None
    return DracoPy


def decode_draco(glb: GlbFile, prim, semantics: list[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Attributes ``{semantic: (V, n)}`` and ``(T, 3)`` faces of a Draco-compressed primitive."""
    draco = _draco_decoder(glb.path)
    ext = prim.extensions[DRACO]
    gltf: Any = glb.gltf  # pygltflib.GLTF2
    bv = gltf.bufferViews[ext["bufferView"]]
    data = glb.blob[(bv.byteOffset or 0) : (bv.byteOffset or 0) + bv.byteLength]
    try:
        mesh = draco.decode(data)
    except Exception as exc:  # noqa: BLE001 - the decoder raises several kinds on bad data
        raise input_error(glb.path, f"cannot decode a Draco-compressed mesh ({exc})", "re-export it") from None
    out = {}
    for sem in semantics:
        uid = ext.get("attributes", {}).get(sem)
        acc_index = getattr(prim.attributes, sem, None)
        if uid is None or acc_index is None:
            continue
        attr = mesh.get_attribute_by_unique_id(int(uid))
        if attr is None:
            continue
        arr = np.asarray(attr["data"]).reshape(len(mesh.points), -1)
        out[sem] = _normalise(arr, bool(gltf.accessors[acc_index].normalized))
    faces = np.asarray(mesh.faces, dtype=np.int64).reshape(-1, 3)
    return out, faces
