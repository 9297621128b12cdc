"""Procedural bodies: a smooth union of tapered capsules along the bones, meshed once, skinned.

Each individual of a built-in skeleton (``human`` or ``quad``) gets its own overall size, bone
lengths (left/right symmetric), limb and torso thickness and a colour pattern (stripes or
patches plus fine texture) defined on the rest-pose surface, so that colour moves with the body
and optical flow has texture to follow.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from skimage.measure import marching_cubes

from herd.data.body_shape import base_name, body_segments, segment_distance
from herd.geometry.skeleton import Skeleton, forward_kinematics

# Bone-length groups that vary together per individual, by child-joint base name.
_GROUPS = {
    "human": {
        "torso": ("spine", "chest"),
        "neck": ("neck", "head"),
        "arm": ("shoulder", "elbow", "hand"),
        "leg": ("hip", "knee", "ankle", "foot"),
    },
    "quad": {
        "torso": ("spine1", "spine2", "chest"),
        "neck": ("neck", "head"),
        "front_leg": ("shoulder", "elbow", "wrist", "paw"),
        "back_leg": ("hip", "knee", "ankle"),
        "tail": ("tail1", "tail2", "tail3"),
    },
}


def _quad_group(name: str) -> str:
    if name.startswith(("bl_", "br_")):
        return "back_leg"
    if name.startswith(("fl_", "fr_")):
        return "front_leg"
    return next((g for g, ns in _GROUPS["quad"].items() if base_name(name) in ns), "torso")


def _group(skeleton: Skeleton, name: str) -> str:
    if skeleton.name == "quad":
        return _quad_group(name)
    return next((g for g, ns in _GROUPS["human"].items() if base_name(name) in ns), "torso")


@dataclasses.dataclass
class Morphology:
    """What makes one individual: JSON-able, stored under ``gt/``.

    Attributes:
        size: overall scale of the body.
        bone_scale: ``(B,)`` factor on each base bone length (left/right equal).
        thickness: ``(B,)`` factor on each bone's capsule radii.
        colors: ``(3, 3)`` RGB in [0, 1]: base, pattern and accent colour.
        pattern: ``"stripes"`` or ``"patches"``.
        pattern_params: frequencies, directions or blob centres of the pattern.
    """

    size: float
    bone_scale: np.ndarray
    thickness: np.ndarray
    colors: np.ndarray
    pattern: str
    pattern_params: dict

    def to_json(self) -> dict:
        return {
            "size": round(float(self.size), 6),
            "bone_scale": np.round(self.bone_scale, 6).tolist(),
            "thickness": np.round(self.thickness, 6).tolist(),
            "colors": np.round(self.colors, 6).tolist(),
            "pattern": self.pattern,
            "pattern_params": {k: np.round(np.asarray(v), 6).tolist() for k, v in self.pattern_params.items()},
        }


def sample_morphology(skeleton: Skeleton, rng: np.random.Generator, spread: float = 1.0) -> Morphology:
    """Draw an individual: size 0.85-1.15, bone groups 0.8-1.25 with 5% per-bone jitter, thickness
    0.8-1.25, random colours and pattern. Left and right bones get the same factors.

    ``spread`` raises every bone-length and thickness factor to that power (2: bone groups
    0.64-1.56, thickness 0.52-2.1 where it was 0.72-1.44): the wider range of bodies, from a
    whippet to a cow, that herd's cue network is trained on. 1 draws exactly as before."""
    B = skeleton.num_joints - 1
    children = skeleton.bone_children
    groups = sorted({_group(skeleton, skeleton.joint_names[c]) for c in children})
    gscale = {g: rng.uniform(0.8, 1.25) for g in groups}
    gthick = {g: rng.uniform(0.85, 1.2) for g in groups}
    jitter = rng.uniform(0.95, 1.05, size=B)
    tjitter = rng.uniform(0.95, 1.05, size=B)
    bone_scale = np.empty(B)
    thickness = np.empty(B)
    overall_thick = rng.uniform(0.85, 1.2)
    for b, c in enumerate(children):
        m = skeleton.symmetry[c] - 1  # mirrored bone (same index for centre bones)
        k = min(b, m)
        g = _group(skeleton, skeleton.joint_names[c])
        bone_scale[b] = gscale[g] * jitter[k]
        thickness[b] = overall_thick * gthick[g] * tjitter[k]
    hue = rng.uniform(0, 1)
    colors = np.stack(
        [
            _hsv(hue, rng.uniform(0.3, 0.7), rng.uniform(0.55, 0.9)),
            _hsv((hue + rng.uniform(0.25, 0.75)) % 1, rng.uniform(0.4, 0.9), rng.uniform(0.2, 0.6)),
            _hsv(rng.uniform(0, 1), rng.uniform(0.1, 0.5), rng.uniform(0.8, 1.0)),
        ]
    )
    if rng.uniform() < 0.5:
        d = rng.normal(size=(2, 3))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        params = {
            "directions": d,
            "frequencies": rng.uniform(8.0, 16.0, size=2),
            "phases": rng.uniform(0, 2 * np.pi, 2),
        }
        pattern = "stripes"
    else:
        lo, hi = skeleton.rest_joints.min(0) - 0.1, skeleton.rest_joints.max(0) + 0.1
        n = int(rng.integers(10, 18))
        params = {"centres": rng.uniform(lo, hi, size=(n, 3)), "radii": rng.uniform(0.05, 0.14, size=n)}
        pattern = "patches"
    params["noise_freq"] = rng.uniform(25.0, 45.0, size=(3, 3))
    params["noise_phase"] = rng.uniform(0, 2 * np.pi, size=3)
    if spread != 1.0:
        bone_scale, thickness = bone_scale**spread, thickness**spread
    return Morphology(
        size=float(rng.uniform(0.85, 1.15)),
        bone_scale=bone_scale,
        thickness=thickness,
        colors=colors,
        pattern=pattern,
        pattern_params=params,
    )


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    return np.array([(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i])


def _segments(skeleton: Skeleton, rest: np.ndarray, morph: Morphology):
    """This individual's capsule segments (see :func:`herd.data.body_shape.body_segments`)."""
    return body_segments(skeleton, rest, morph.thickness * morph.size, morph.size * morph.bone_scale)


def _smooth_min(d: np.ndarray, k: float) -> np.ndarray:
    """Exponential smooth minimum over axis 0 of ``(S, N)`` distances, blending radius ``k``."""
    m = d.min(axis=0)
    return m - k * np.log(np.exp(-(d - m) / k).sum(axis=0))


class ProceduralBody:
    """One individual of a built-in skeleton (implements :class:`herd.synth.types.Body`).

    Attributes:
        skeleton: the base skeleton with this individual's rest joints (size and bone scales applied).
        faces, rest_verts: ``(T, 3)`` and ``(V, 3)`` closed rest-pose mesh in object space.
        weights: ``(V, J)`` skinning weights (rows sum to 1).
        morph: the :class:`Morphology` it was made from.
    """

    def __init__(self, base: Skeleton, morph: Morphology, grid: int = 72):
        rest = morph.size * base.scaled_rest_joints(morph.bone_scale)
        self.skeleton = Skeleton(base.name, base.joint_names, base.parents, rest, base.symmetry)
        self.morph = morph
        self.params = morph.to_json()
        segs = _segments(base, rest, morph)
        k = 0.025 * morph.size
        lo = np.min([np.minimum(a, b) - max(ra, rb) for a, b, ra, rb, _ in segs], axis=0) - 3 * k
        hi = np.max([np.maximum(a, b) + max(ra, rb) for a, b, ra, rb, _ in segs], axis=0) + 3 * k
        step = (hi - lo).max() / grid
        axes = [np.arange(lo[i], hi[i] + step, step) for i in range(3)]
        pts = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
        sdf = _smooth_min(np.stack([segment_distance(pts, *s[:4])[0] for s in segs]), k)
        vol = sdf.reshape(len(axes[0]), len(axes[1]), len(axes[2]))
        verts, faces, _, _ = marching_cubes(vol, level=0.0, spacing=(step, step, step))
        verts = verts + lo
        faces = _largest_component(faces)
        used, faces = np.unique(faces, return_inverse=True)
        self.rest_verts = verts[used]
        self.faces = faces.reshape(-1, 3).astype(np.int64)  # outward-facing for an SDF (checked in tests)
        # skinning weights: Gaussian falloff of the distance to each segment's surface
        J = base.num_joints
        dist = np.stack([segment_distance(self.rest_verts, *s[:4])[0] for s in segs])  # (S, V)
        sigma = 0.03 * morph.size
        w_seg = np.exp(-((np.maximum(dist, 0.0) - np.maximum(dist, 0.0).min(0)) ** 2) / (2 * sigma**2))
        self.weights = np.zeros((len(self.rest_verts), J))
        for s, seg in enumerate(segs):
            self.weights[:, seg[4]] += w_seg[s]
        self.weights /= self.weights.sum(axis=1, keepdims=True)

    def pose(self, motion, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Posed ``(V, 3)`` vertices and ``(J, 3)`` joints in object space at frame ``t`` of a
        :class:`herd.synth.motion.ProceduralMotion` (its joint rotations, this body's bones)."""
        joint2obj, skin = forward_kinematics(self.skeleton.parents, self.skeleton.rest_joints, motion.local_rot[t])
        A = np.einsum("vj,jab->vab", self.weights, skin)
        verts = np.einsum("vab,vb->va", A[:, :3, :3], self.rest_verts) + A[:, :3, 3]
        return verts, joint2obj[:, :3, 3]

    def albedo(self, face_ids: np.ndarray, bary: np.ndarray) -> np.ndarray:
        """``(N, 3)`` colours in [0, 1] at surface points given by faces and barycentrics."""
        p = np.einsum("nk,nkc->nc", bary, self.rest_verts[self.faces[face_ids]]) / self.morph.size
        return self.color_at(p)

    def color_at(self, p: np.ndarray) -> np.ndarray:
        """``(N, 3)`` colours of rest-pose points ``(N, 3)`` divided by the body size."""
        m, pp = self.morph, self.morph.pattern_params
        base, pat, acc = m.colors
        if m.pattern == "stripes":
            d, f, ph = np.asarray(pp["directions"]), np.asarray(pp["frequencies"]), np.asarray(pp["phases"])
            s = np.sin(p @ d[0] * f[0] + ph[0]) + 0.5 * np.sin(p @ d[1] * f[1] + ph[1])
            a = np.clip(s * 3.0, 0, 1)[:, None]
        else:
            c, r = np.asarray(pp["centres"]), np.asarray(pp["radii"])
            dd = np.linalg.norm(p[:, None, :] - c[None], axis=2) / r[None]
            a = np.clip((1.3 - dd.min(axis=1)) * 4.0, 0, 1)[:, None]
        col = base * (1 - a) + pat * a
        nf, nph = np.asarray(pp["noise_freq"]), np.asarray(pp["noise_phase"])
        noise = np.prod(np.sin(p[:, None, :] * nf[None] + nph[None, :, None]), axis=2).sum(1) / 3
        col = col * (0.85 + 0.15 * noise[:, None])
        # accent colour on the underside (belly, inner limbs), below the root joint
        root_y = self.skeleton.rest_joints[0, 1] / m.size
        under = np.clip((root_y - 0.08 - p[:, 1]) * 6.0, 0, 1)[:, None] * 0.5
        return np.clip(col * (1 - under) + acc * under, 0, 1)

    def bone_lengths(self) -> np.ndarray:
        return self.skeleton.bone_lengths()


def _largest_component(faces: np.ndarray) -> np.ndarray:
    """The triangles of the largest vertex-connected component."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    n = faces.max() + 1
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    g = sp.coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    _, label = connected_components(g, directed=False)
    big = np.bincount(label[faces[:, 0]]).argmax()
    return faces[label[faces[:, 0]] == big]
