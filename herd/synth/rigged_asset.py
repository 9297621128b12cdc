"""A rigged glTF asset loaded for herd synth: the rig (:mod:`herd.synth.asset_rig`), its joints
mapped onto a built-in skeleton (:mod:`herd.synth.joint_map`) and which of its clips move and keep
the body standing. Bodies and motions made from it are :mod:`herd.synth.asset_body` and
:mod:`herd.synth.asset_motion`; :mod:`herd.synth.asset` gathers all three."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from herd.data.skeletons import get_skeleton
from herd.errors import HerdInputError
from herd.synth.asset_pose import blend_skin, pose_world
from herd.synth.asset_rig import ASSET_HEIGHT, Asset, load_rig
from herd.synth.gltf_clips import STATIC_DEG
from herd.synth.gltf_decode import apply
from herd.synth.joint_map import JointMap, guess_kind, map_joints

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
        raise HerdInputError(
            f"{rig.path}: it has no moving animation and its joints could not be mapped onto "
            f"herd's {kind} skeleton; add a clip (e.g. a walk cycle), or pass the other category"
        )
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
            skin = pose_world(rig, ones, c, float(t)) @ rig.inverse_bind  # (J, 4, 4) bind to posed, world
            verts = apply(rig.world2obj, blend_skin(rig.skin_joints, rig.skin_weights, skin, rig.bind_verts))  # (V, 3)
            heights.append(float(np.ptp(verts[:, 1])))
        if min(heights) >= STANDING_FRACTION * rest_height:
            out.append(name)
    return tuple(out)
