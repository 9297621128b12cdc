"""One individual of a rigged asset (:class:`AssetBody`, a :class:`~herd.synth.types.Body`): its
own bone lengths, overall size and colour tint, posed by the asset's clips or by built-in
actions retargeted onto the rig. Frames as in :mod:`herd.synth.asset`."""

from __future__ import annotations

import dataclasses

import numpy as np

from herd.errors import HerdInputError
from herd.geometry.skeleton import Skeleton
from herd.synth.asset_pose import blend_skin, pose_world
from herd.synth.asset_rig import ASSET_HEIGHT
from herd.synth.gltf_clips import Clip
from herd.synth.gltf_decode import apply
from herd.synth.retarget import retarget
from herd.synth.rigged_asset import RiggedAsset, builtin_height

BONE_SCALE_RANGE = (0.8, 1.25)
GLOBAL_SCALE_RANGE = (0.85, 1.2)

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


@dataclasses.dataclass(eq=False)
class AssetBody:
    """One individual of an asset: a :class:`~herd.synth.types.Body` in object space.

    Attributes:
        asset: the asset it comes from.
        skeleton: the joints :meth:`pose` reports: the asset's own skeleton, or with ``shared`` the
            built-in one it was mapped to; rest joints are this individual's.
        faces: ``(T, 3)`` int triangles.
        rest_verts: ``(V, 3)`` bind-pose vertices in object space, skinned with this individual's
            bind skeleton (scaled bones).
        params: ``{"asset", "global_scale", "bone_scale": {joint: factor}, "tint": [r, g, b]}``.
        bone_scale: ``(J,)`` factor on each asset joint's local translation (1 for the root).
        global_scale: overall size factor.
        tint: ``(3,)`` colour multiplier.
        world2obj: ``(4, 4)`` this individual's world (raw units) to object-space transform.
        bind_world: ``(J, 4, 4)`` this individual's bind ``joint2world`` (raw units).
        rest_joints: ``(J, 3)`` this individual's asset joints at rest, object space.
        builtin_rest: ``(H, 3)`` the built-in joints on this individual at rest, or ``None``.
        shared: report joints on the built-in skeleton.
    """

    asset: RiggedAsset
    skeleton: Skeleton
    faces: np.ndarray
    rest_verts: np.ndarray
    params: dict
    bone_scale: np.ndarray
    global_scale: float
    tint: np.ndarray
    world2obj: np.ndarray
    bind_world: np.ndarray
    rest_joints: np.ndarray
    builtin_rest: np.ndarray | None
    shared: bool = False
    _offsets: dict = dataclasses.field(default_factory=dict, repr=False)
    _retargeted: dict = dataclasses.field(default_factory=dict, repr=False)

    def _report(self, asset_joints: np.ndarray, skin: np.ndarray) -> np.ndarray:
        """The joints :meth:`pose` returns, from posed asset joints ``(J, 3)`` and skinning ``(J, 4, 4)``."""
        if not self.shared:
            return asset_joints
        jm = self.asset.joint_map
        assert jm is not None and self.builtin_rest is not None  # make_asset_body: shared needs a joint map
        m = skin[jm.asset_joint]
        return np.einsum("hab,hb->ha", m[:, :3, :3], self.builtin_rest) + m[:, :3, 3]

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
            pos = np.array(
                [apply(self.world2obj, pose_world(self.asset.rig, self.bone_scale, clip, s)[ref, :3, 3]) for s in times]
            )
            mean = pos[:-1].mean(axis=0) - self.rest_joints[ref]
            drift = pos[-1] - pos[0]
            self._offsets[clip.name] = (mean * np.array([1.0, 0.0, 1.0]), drift * np.array([1.0, 0.0, 1.0]))
        mean, drift = self._offsets[clip.name]
        return -(mean + drift * ((t - clip.start) / clip.duration - 0.5))

    def clip_skin(self, clip: str | None, time: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Posed vertices ``(V, 3)``, asset joints ``(J, 3)`` and skinning transforms ``(J, 4, 4)``
        (rest to posed, object space) for a clip of the asset at a clip time (bind pose for ``None``)."""
        a = self.asset
        c = None if clip is None else a.clips[clip]
        joint2world = pose_world(a.rig, self.bone_scale, c, time)
        verts = blend_skin(
            a.skin_joints, a.skin_weights, self.world2obj[None] @ joint2world @ a.inverse_bind, a.bind_verts
        )
        obj2world = np.linalg.inv(self.world2obj)
        skin = self.world2obj[None] @ joint2world @ np.linalg.inv(self.bind_world) @ obj2world[None]
        joints = apply(self.world2obj, joint2world[:, :3, 3])
        if c is not None:
            off = self._clip_offset(c, time)
            verts, joints = verts + off, joints + off
            skin[:, :3, 3] += off
        return verts, joints, skin

    def pose_clip(self, clip: str | None, time: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Posed vertices and joints for a clip of the asset at a clip time.

        Args:
            clip: the animation's name, or ``None`` for the bind pose (gives :attr:`rest_verts`
                and the skeleton's rest joints).
            time: seconds on the clip's own time line, in ``[start, start + duration]``.
        Returns:
            verts: ``(V, 3)`` and joints: ``(J, 3)`` (``(H, 3)`` if ``shared``), object space.
        """
        verts, joints, skin = self.clip_skin(clip, time)
        return verts, self._report(joints, skin)

    def _retarget_skin(self, motion) -> np.ndarray:
        """``(F, J, 4, 4)`` skinning transforms of this body driven by a motion's built-in rotations."""
        key = id(motion)
        if key not in self._retargeted:
            jm = self.asset.joint_map
            if jm is None:
                raise ValueError(f"asset {self.asset.name}: its joints are not mapped onto a built-in skeleton")
            assert self.builtin_rest is not None  # make_asset_body sets it with the joint map
            self._retargeted[key] = (
                motion,
                retarget(
                    self.asset.skeleton.parents, self.rest_joints, jm, self.builtin_rest, motion.builtin_rotations()
                ),
            )
        return self._retargeted[key][1]

    def pose(self, motion, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Posed ``(V, 3)`` vertices and joints (``(J, 3)``, or ``(H, 3)`` if ``shared``) at frame
        ``t`` of ``motion``, object space.

        A clip of this body's own asset is played as it is; any other motion (built-in actions,
        another asset's clip) drives the rig through the built-in joint rotations, with the feet
        kept on the ground (lowest vertex at y = 0).
        """
        from herd.synth.asset_motion import AssetMotion  # motions build bodies: imported here, not above

        if isinstance(motion, AssetMotion):
            assert motion.asset is not None  # make_asset_motion sets it
            if motion.asset.rig is self.asset.rig:
                return self.pose_clip(motion.clip, float(motion.clip_times[t]))
        if not hasattr(motion, "builtin_rotations"):
            raise ValueError(f"motion {getattr(motion, 'name', motion)!r} cannot drive asset {self.asset.name}")
        skin = self._retarget_skin(motion)[t]
        verts = blend_skin(self.asset.skin_joints, self.asset.skin_weights, skin, self.rest_verts)
        joints = skin[:, :3, 3] + np.einsum("jab,jb->ja", skin[:, :3, :3], self.rest_joints)
        lift = np.array([0.0, -verts[:, 1].min(), 0.0])
        skin = skin.copy()
        skin[:, :3, 3] += lift
        return verts + lift, self._report(joints + lift, skin)

    def albedo(self, face_ids: np.ndarray, bary: np.ndarray) -> np.ndarray:
        """``(N, 3)`` colours in [0, 1] at surface points: faces ``(N,)`` and barycentrics ``(N, 3)``.

        Each face's material: base-colour factor, times the bilinear texture lookup (wrapping) at
        the interpolated UV, times the interpolated vertex colour; then this individual's tint.
        """
        a = self.asset
        face_ids = np.asarray(face_ids, dtype=np.int64)
        bary = np.asarray(bary, dtype=np.float64)
        out = np.einsum("nk,nkc->nc", bary, a.corner_color[face_ids])
        mat = a.face_material[face_ids]
        for i, m in enumerate(a.materials):
            sel = mat == i
            if not sel.any():
                continue
            colour = m.base_color
            if m.texture is not None:
                uv = np.einsum("nk,nkc->nc", bary[sel], a.corner_uv[face_ids[sel]])
                colour = sample_texture(m.texture, uv) * colour
            out[sel] = out[sel] * colour
        return np.clip(out * self.tint, 0.0, 1.0)

    def bone_lengths(self) -> np.ndarray:
        """``(B,)`` this individual's rest bone lengths in metres (bone b ends at joint b + 1)."""
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


def make_asset_body(asset: RiggedAsset, rng: np.random.Generator | None, shared: bool = False) -> AssetBody:
    """One individual with its own proportions, size and colour.

    Bone factors (on each joint's local translation, in ``BONE_SCALE_RANGE``) are a factor per
    body part (:func:`bone_group`; the root group stays 1) times a small per-joint jitter, drawn
    once per symmetric pair so left and right match. The global scale is in
    ``GLOBAL_SCALE_RANGE``; the tint is a mild per-channel colour multiplier. The result is
    re-centred on the y axis with its lowest rest vertex at y = 0.

    Args:
        asset: from :func:`load_asset`.
        rng: the random source; ``None`` gives the asset as it is (no variation).
        shared: report joints on the built-in skeleton the asset was mapped to, and scale the
            body to that skeleton's height (:func:`builtin_height`) instead of ``ASSET_HEIGHT``.
    Returns:
        the :class:`AssetBody`.
    """
    sk = asset.skeleton
    jm = asset.joint_map
    if shared and jm is None:
        raise HerdInputError(
            f"{asset.path}: its joints could not be mapped onto herd's human or quad skeleton, "
            "so it cannot share a category with other assets; use it alone"
        )
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

    height = 1.0
    if shared:
        assert jm is not None  # checked above
        height = builtin_height(jm.kind) / ASSET_HEIGHT
    size = global_scale * height
    bind_world = pose_world(asset.rig, bone_scale, None, 0.0)
    world2obj = np.diag([size, size, size, 1.0]) @ asset.world2obj
    v = apply(
        world2obj, blend_skin(asset.skin_joints, asset.skin_weights, bind_world @ asset.inverse_bind, asset.bind_verts)
    )
    lo_v, hi_v = v.min(axis=0), v.max(axis=0)
    world2obj[:3, 3] -= np.array([(lo_v[0] + hi_v[0]) / 2, lo_v[1], (lo_v[2] + hi_v[2]) / 2])
    rest_joints = apply(world2obj, bind_world[:, :3, 3])
    builtin_rest = None
    if jm is not None:
        # each built-in joint moves with its asset joint from the asset's bind pose to this one's
        move = world2obj[None] @ bind_world @ asset.inverse_bind @ np.linalg.inv(asset.world2obj)[None]
        m = move[jm.asset_joint]
        builtin_rest = np.einsum("hab,hb->ha", m[:, :3, :3], jm.rest) + m[:, :3, 3]
    if shared:
        assert jm is not None  # checked above
        skeleton = jm.skeleton(builtin_rest)
    else:
        skeleton = dataclasses.replace(sk, rest_joints=rest_joints)
    params = {
        "asset": asset.name,
        "global_scale": round(global_scale, 6),
        "bone_scale": {n: round(float(s), 6) for n, s in zip(sk.joint_names, bone_scale)},
        "tint": [round(float(c), 6) for c in tint],
    }
    return AssetBody(
        asset=asset,
        skeleton=skeleton,
        faces=asset.faces.copy(),
        rest_verts=apply(
            world2obj,
            blend_skin(asset.skin_joints, asset.skin_weights, bind_world @ asset.inverse_bind, asset.bind_verts),
        ),
        params=params,
        bone_scale=bone_scale,
        global_scale=global_scale,
        tint=tint,
        world2obj=world2obj,
        bind_world=bind_world,
        rest_joints=rest_joints,
        builtin_rest=builtin_rest,
        shared=shared,
    )
