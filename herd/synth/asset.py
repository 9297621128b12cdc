"""Bodies and motions from rigged glTF 2.0 assets (``.glb``): the Khronos Fox, a Mixamo soldier,
a robot made of many meshes, a Draco-compressed robot.

:func:`load_asset` (:mod:`herd.synth.rigged_asset`) reads the file (:mod:`herd.synth.gltf_decode`), binds everything it draws to
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

from herd.synth.asset_body import (
    BONE_SCALE_RANGE,
    GLOBAL_SCALE_RANGE,
    AssetBody,
    bone_group,
    make_asset_body,
    sample_texture,
)
from herd.synth.asset_motion import AssetMotion, RetargetedMotion, clip_ground_speed, make_asset_motion
from herd.synth.asset_rig import ASSET_HEIGHT, Asset
from herd.synth.joint_map import symmetry_map
from herd.synth.rig_parts import AssetWarning
from herd.synth.rigged_asset import RiggedAsset, builtin_height, load_asset, standing_clips

__all__ = [
    "ASSET_HEIGHT",
    "BONE_SCALE_RANGE",
    "GLOBAL_SCALE_RANGE",
    "Asset",
    "AssetBody",
    "AssetMotion",
    "AssetWarning",
    "RetargetedMotion",
    "RiggedAsset",
    "bone_group",
    "builtin_height",
    "clip_ground_speed",
    "load_asset",
    "make_asset_body",
    "make_asset_motion",
    "sample_texture",
    "standing_clips",
    "symmetry_map",
]
