"""Bodies and motions from rigged glTF 2.0 assets (``.glb``): the Khronos Fox, a Mixamo soldier,
a robot made of many meshes, a Draco-compressed robot.

:func:`load_asset` reads the file (:mod:`herd.synth.gltf_decode`), binds everything it draws to
one skeleton (:mod:`herd.synth.asset_rig`) and maps that skeleton onto herd's ``human`` or
``quad`` skeleton when it can (:mod:`herd.synth.joint_map`). From an asset:

- :func:`make_asset_body` makes one individual (:class:`AssetBody`, a
  :class:`~herd.synth.types.Body`) with its own bone lengths, overall size and colour tint;
- :func:`make_asset_motion` makes one video's motion: one of the asset's own clips that moves
  and keeps the body standing (:class:`AssetMotion`; a clip in which it falls or lies down is
  played only when asked for by name), or, for a rig whose clips are static (a two-key T-pose) or absent, or
  when actions are asked for, herd's built-in actions retargeted onto the rig
  (:class:`RetargetedMotion`, :mod:`herd.synth.retarget`).

With ``shared=True`` a body reports its joints on the built-in skeleton it was mapped to (its
own rest positions of those joints), so several assets make one category; any body can then
play any video's motion (an asset clip goes through the built-in joint rotations).

Frames: object space is +y up, +z forward, +x left, ground at y = 0 in the rest pose; see
:mod:`herd.synth.asset_rig` for world space. Shape letters as in :mod:`herd.geometry`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from herd.data.skeletons import get_skeleton
from herd.errors import HerdInputError
from herd.geometry.skeleton import Skeleton
from herd.synth.asset_rig import ASSET_HEIGHT, Asset, AssetWarning, load_rig
from herd.synth.gltf_clips import STATIC_DEG, Clip
from herd.synth.gltf_decode import apply, trs
from herd.synth.joint_map import JointMap, guess_kind, map_joints, symmetry_map
from herd.synth.retarget import builtin_rotations, retarget

__all__ = ["ASSET_HEIGHT", "Asset", "AssetWarning", "AssetBody", "AssetMotion", "RetargetedMotion", "RiggedAsset",
           "load_asset", "make_asset_body", "make_asset_motion", "symmetry_map", "bone_group", "sample_texture",
           "clip_ground_speed", "BONE_SCALE_RANGE", "GLOBAL_SCALE_RANGE", "builtin_height", "standing_clips"]

#: Ground speed (m/s, before the motion's speed factor) of a clip, by a word in its name.
CLIP_SPEEDS = {"run": 2.0, "gallop": 2.0, "trot": 1.4, "walk": 0.8}
#: Relative chance of picking a clip, by a word in its name (others: 0.2).
CLIP_WEIGHTS = {"walk": 0.4, "run": 0.4, "survey": 0.2}
BONE_SCALE_RANGE = (0.8, 1.25)
GLOBAL_SCALE_RANGE = (0.85, 1.2)
SPEED_RANGE = (0.8, 1.25)
MAX_YAW_RATE = np.deg2rad(30.0)
#: A clip is drawn by default only if the posed body's height stays above this fraction of its
#: rest height (a clip in which it falls over or lies down, e.g. a death, is played only by name).
STANDING_FRACTION = 0.7


@dataclasses.dataclass(frozen=True, eq=False)
class RiggedAsset:
    """An :class:`~herd.synth.asset_rig.Asset` with what motion needs.

    Attributes:
        rig: the skinned mesh and skeleton.
        joint_map: its joints on herd's built-in skeleton, or ``None`` if they could not be mapped.
        moving_clips: names of the clips that move the joints (not a held pose), in file order.
        default_clips: the moving clips a video draws from by default: those that keep the body
            standing (:func:`standing_clips`), or all moving clips if none does.
    """

    rig: Asset
    joint_map: JointMap | None
    moving_clips: tuple[str, ...]
    default_clips: tuple[str, ...] = ()

    def __getattr__(self, name: str):  # the rig's fields read through (asset.skeleton, asset.clips, ...)
        return getattr(self.__dict__["rig"], name)

    @property
    def kind(self) -> str | None:
        return None if self.joint_map is None else self.joint_map.kind


def builtin_height(kind: str) -> float:
    """Rest height (m) a body mapped onto built-in skeleton ``kind`` is scaled to in a shared category."""
    return float(get_skeleton(kind).rest_joints[:, 1].max() * 1.06)


def load_asset(path: str | Path, kind: str | None = None) -> RiggedAsset:
    """Read a rigged glTF 2.0 binary (``.glb``) and map its joints onto a built-in skeleton.

    Args:
        path: the ``.glb`` file.
        kind: ``"human"`` or ``"quad"`` to map onto; by default guessed from the rest pose
            (taller than long: human).
    Returns:
        the :class:`RiggedAsset`.
    Raises:
        HerdInputError: the file cannot be used (see :func:`herd.synth.asset_rig.build_rig`), or it
            has no moving clip and its joints cannot be mapped.
    """
    rig = load_rig(path)
    kind = kind or guess_kind(rig.rest_verts)
    try:
        jm = map_joints(rig.skeleton, get_skeleton(kind), kind)
    except (ValueError, StopIteration):
        jm = None
    size = ASSET_HEIGHT / rig.scale
    joint_nodes = {int(n) for n in rig.joint_nodes}
    moving = []
    for name, clip in rig.clips.items():
        deg, move = clip.motion_range(joint_nodes)
        if deg > STATIC_DEG or move > 0.01 * size:
            moving.append(name)
    if not moving and jm is None:
        raise HerdInputError(f"{rig.path}: it has no moving animation and its joints could not be mapped onto "
                             f"herd's {kind} skeleton; add a clip (e.g. a walk cycle), or pass the other category")
    default = standing_clips(rig, moving) or tuple(moving)
    return RiggedAsset(rig=rig, joint_map=jm, moving_clips=tuple(moving), default_clips=default)


def standing_clips(rig: Asset, names: list[str] | tuple[str, ...], samples: int = 9) -> tuple[str, ...]:
    """The clips among ``names`` in which the body stays standing.

    The asset as it is (no variation) is posed at ``samples`` times evenly over each clip; a clip
    is kept if the posed mesh's vertical extent (object space, +y up) is at least
    ``STANDING_FRACTION`` of the rest mesh's in every sample. A body that falls over, lies down or
    comes apart (RobotExpressive's Death) fails; walking, running, jumping and waving pass.

    Args:
        rig: the asset.
        names: clip names, in the order to keep.
        samples: poses per clip.
    Returns:
        the standing clips' names, in the order of ``names``.
    """
    rest_height = float(np.ptp(rig.rest_verts[:, 1]))
    ones = np.ones(rig.skeleton.num_joints)
    out = []
    for name in names:
        c = rig.clips[name]
        heights = []
        for t in c.start + c.duration * np.linspace(0.0, 1.0, samples):
            skin = _pose_world(rig, ones, c, float(t)) @ rig.inverse_bind  # (J, 4, 4) bind to posed, world
            verts = apply(rig.world2obj, _blend(rig.skin_joints, rig.skin_weights, skin, rig.bind_verts))  # (V, 3)
            heights.append(float(np.ptp(verts[:, 1])))
        if min(heights) >= STANDING_FRACTION * rest_height:
            out.append(name)
    return tuple(out)


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


def _blend(skin_joints: np.ndarray, skin_weights: np.ndarray, mats: np.ndarray, verts: np.ndarray) -> np.ndarray:
    """``(V, 3)`` linear blend skinning of ``verts`` with ``(J, 4, 4)`` transforms."""
    m = mats[skin_joints]  # (V, K, 4, 4)
    per = np.einsum("vkab,vb->vka", m[..., :3, :3], verts) + m[..., :3, 3]
    return np.einsum("vk,vka->va", skin_weights, per)


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
            pos = np.array([apply(self.world2obj, _pose_world(self.asset.rig, self.bone_scale, clip, s)[ref, :3, 3])
                            for s in times])
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
        joint2world = _pose_world(a.rig, self.bone_scale, c, time)
        verts = _blend(a.skin_joints, a.skin_weights, self.world2obj[None] @ joint2world @ a.inverse_bind,
                       a.bind_verts)
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
            self._retargeted[key] = (motion, retarget(self.asset.skeleton.parents, self.rest_joints, jm,
                                                      self.builtin_rest, motion.builtin_rotations()))
        return self._retargeted[key][1]

    def pose(self, motion, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Posed ``(V, 3)`` vertices and joints (``(J, 3)``, or ``(H, 3)`` if ``shared``) at frame
        ``t`` of ``motion``, object space.

        A clip of this body's own asset is played as it is; any other motion (built-in actions,
        another asset's clip) drives the rig through the built-in joint rotations, with the feet
        kept on the ground (lowest vertex at y = 0).
        """
        if isinstance(motion, AssetMotion) and motion.asset.rig is self.asset.rig:
            return self.pose_clip(motion.clip, float(motion.clip_times[t]))
        if not hasattr(motion, "builtin_rotations"):
            raise ValueError(f"motion {getattr(motion, 'name', motion)!r} cannot drive asset {self.asset.name}")
        skin = self._retarget_skin(motion)[t]
        verts = _blend(self.asset.skin_joints, self.asset.skin_weights, skin, self.rest_verts)
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
        raise HerdInputError(f"{asset.path}: its joints could not be mapped onto herd's human or quad skeleton, "
                             "so it cannot share a category with other assets; use it alone")
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

    size = global_scale * (builtin_height(jm.kind) / ASSET_HEIGHT if shared else 1.0)
    bind_world = _pose_world(asset.rig, bone_scale, None, 0.0)
    world2obj = np.diag([size, size, size, 1.0]) @ asset.world2obj
    v = apply(world2obj, _blend(asset.skin_joints, asset.skin_weights, bind_world @ asset.inverse_bind,
                                asset.bind_verts))
    lo_v, hi_v = v.min(axis=0), v.max(axis=0)
    world2obj[:3, 3] -= np.array([(lo_v[0] + hi_v[0]) / 2, lo_v[1], (lo_v[2] + hi_v[2]) / 2])
    rest_joints = apply(world2obj, bind_world[:, :3, 3])
    builtin_rest = None
    if jm is not None:
        # each built-in joint moves with its asset joint from the asset's bind pose to this one's
        move = world2obj[None] @ bind_world @ asset.inverse_bind @ np.linalg.inv(asset.world2obj)[None]
        m = move[jm.asset_joint]
        builtin_rest = np.einsum("hab,hb->ha", m[:, :3, :3], jm.rest) + m[:, :3, 3]
    skeleton = jm.skeleton(builtin_rest) if shared else dataclasses.replace(sk, rest_joints=rest_joints)
    params = {
        "asset": asset.name,
        "global_scale": round(global_scale, 6),
        "bone_scale": {n: round(float(s), 6) for n, s in zip(sk.joint_names, bone_scale)},
        "tint": [round(float(c), 6) for c in tint],
    }
    return AssetBody(asset=asset, skeleton=skeleton, faces=asset.faces.copy(),
                     rest_verts=apply(world2obj, _blend(asset.skin_joints, asset.skin_weights,
                                                        bind_world @ asset.inverse_bind, asset.bind_verts)),
                     params=params, bone_scale=bone_scale, global_scale=global_scale, tint=tint,
                     world2obj=world2obj, bind_world=bind_world, rest_joints=rest_joints,
                     builtin_rest=builtin_rest, shared=shared)


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
        asset: the asset whose clip it is.
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
    asset: RiggedAsset | None = None
    _rotations: np.ndarray | None = dataclasses.field(default=None, repr=False)

    @property
    def params(self) -> dict:
        """JSON-able description for the ground truth."""
        return {"clip": self.clip, "speed": round(self.speed, 6), "phase": round(self.phase, 6),
                "fps": self.fps, "ground_speed": round(self.ground_speed, 6)}

    def builtin_rotations(self) -> np.ndarray:
        """``(F, H, 3, 3)`` the clip as built-in local joint rotations (for another asset's body)."""
        if self._rotations is None:
            if self.asset is None or self.asset.joint_map is None:
                raise ValueError(f"clip {self.clip} cannot be retargeted: its asset's joints are not mapped")
            body = make_asset_body(self.asset, None)
            skins = np.stack([body.clip_skin(self.clip, float(t))[2] for t in self.clip_times])
            self._rotations = builtin_rotations(self.asset.joint_map, body.builtin_rest, skins)
        return self._rotations


@dataclasses.dataclass(eq=False)
class RetargetedMotion:
    """Herd's built-in actions for a mapped asset: a :class:`~herd.synth.types.Motion`.

    Attributes:
        num_frames: ``F``.
        obj2world: ``(F, 4, 4)`` object to world (heading and path on the ground, scaled to the
            body's size; bodies put their own feet on the ground).
        name: the actions, e.g. ``"walk+turn"``.
        local_rot: ``(F, H, 3, 3)`` built-in local joint rotations.
        kind: ``"human"`` or ``"quad"``.
        speed: the per-video speed factor.
    """

    num_frames: int
    obj2world: np.ndarray
    name: str
    local_rot: np.ndarray
    kind: str
    speed: float

    def builtin_rotations(self) -> np.ndarray:
        return self.local_rot


def clip_ground_speed(name: str) -> float:
    """Ground speed (m/s) of a clip before the speed factor, by a word in its name (0 if none)."""
    low = name.lower()
    return next((v for k, v in CLIP_SPEEDS.items() if k in low), 0.0)


def _yaw_matrix(yaw: float) -> np.ndarray:
    """``(3, 3)`` rotation by ``yaw`` radians about +y (turns +z towards +x)."""
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _retargeted(asset: RiggedAsset, rng: np.random.Generator, num_frames: int, fps: float,
                actions: list[str] | None, height: float) -> RetargetedMotion:
    from herd.synth.motion import make_motion

    jm = asset.joint_map
    if jm is None:
        raise HerdInputError(f"{asset.path}: its joints could not be mapped onto herd's skeletons, so built-in "
                             "actions cannot drive it; use its own clips (drop --actions)")
    try:
        m = make_motion(jm.target, num_frames, rng, actions=actions, fps=fps)
    except ValueError as exc:
        raise HerdInputError(f"--actions {','.join(actions or [])}: {exc}") from None
    obj2world = m.obj2world.copy()
    obj2world[:, :3, 3] *= height / builtin_height(jm.kind)
    obj2world[:, 1, 3] = 0.0
    return RetargetedMotion(num_frames=num_frames, obj2world=obj2world, name=m.name, local_rot=m.local_rot,
                            kind=jm.kind, speed=m.speed)


def make_asset_motion(asset: RiggedAsset, rng: np.random.Generator, num_frames: int, fps: float,
                      clip: str | None = None, actions: list[str] | None = None,
                      height: float = ASSET_HEIGHT):
    """One video's motion for an asset.

    By default a clip that moves and keeps the body standing (:attr:`RiggedAsset.default_clips`;
    Walk and Run twice as likely as others) played at a random
    speed and phase: frame ``t`` shows the clip at ``start + (phase + t * speed / fps) mod
    duration``, the body moving along its heading (object +z) at :func:`clip_ground_speed` times
    the speed factor, the heading turning at a smooth random yaw rate of at most 30 deg/s (none
    when standing still). With ``actions``, or when no clip moves, herd's built-in actions
    retargeted onto the rig (:class:`RetargetedMotion`).

    Args:
        asset: from :func:`load_asset`.
        rng: the random source.
        num_frames: ``F``.
        fps: frames per second.
        clip: force a clip by name (any clip, also one not drawn by default).
        actions: force built-in actions (one or two, e.g. ``["walk", "turn"]``).
        height: the bodies' rest height (m), which scales built-in actions' paths.
    Returns:
        an :class:`AssetMotion` or a :class:`RetargetedMotion`.
    """
    if actions is not None or (clip is None and not asset.moving_clips):
        return _retargeted(asset, rng, num_frames, fps, actions, height)
    names = list(asset.default_clips or asset.moving_clips)
    if clip is None:
        w = np.array([next((v for k, v in CLIP_WEIGHTS.items() if k in n.lower()), 0.2) for n in names])
        clip = names[int(rng.choice(len(names), p=w / w.sum()))]
    elif clip not in asset.clips:
        raise HerdInputError(f"{asset.path}: no clip {clip!r}; use one of {', '.join(asset.clips)}")
    c = asset.clips[clip]
    speed = float(rng.uniform(*SPEED_RANGE))
    phase = float(rng.uniform(0.0, c.duration))
    frames = np.arange(num_frames, dtype=np.float64)
    clip_times = c.start + np.mod(phase + frames * speed / fps, c.duration)
    ground_speed = clip_ground_speed(clip) * speed * height / ASSET_HEIGHT

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
                       speed=speed, phase=phase, fps=float(fps), clip_times=clip_times, ground_speed=ground_speed,
                       asset=asset)
