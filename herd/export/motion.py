"""``motion.json``: the motion of one video in plain numbers, for other tools.

Conventions (also in docs/export.md):
- units: model units, which are metres when the dataset's skeleton is in metres (herd synth, the
  built-in skeletons); monocular reconstructions are up to one global scale.
- object space: the category's canonical frame (+y up, +z forward); camera space: OpenCV (x right,
  y down, z forward); ``obj2cam`` maps object-space points to camera space.
- joints: ``joint2obj`` is the joint's frame in posed object space (rotation from the rest
  orientation, translation = joint position); ``skin`` maps canonical (rest) points to posed object
  space (``joint2obj @ inv(rest_joint2obj)``); ``rotation`` is the local rotation relative to the
  parent as an axis-angle vector (radians) and a quaternion (x, y, z, w).
- intrinsics: fx, fy, cx, cy in pixels of ``image_size`` (the training resolution), pixel centres
  at integer coordinates.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from herd.model.model import FrameState, HerdModel


def _r(a: np.ndarray, d: int = 6) -> list:
    return np.round(np.asarray(a, dtype=np.float64), d).tolist()


def motion_record(
    model: HerdModel, st: FrameState, frame_index: np.ndarray, image_size: int, video: int, body: int | None = None
) -> dict:
    """The JSON-able motion of the ``K`` frames in ``st``.

    Args:
        frame_index: ``(K,)`` frame numbers within the video.
        image_size: side of the (square) image the intrinsics refer to.
        video: the video whose motion this is; body: whose individual performs it (default video).
    """
    frame_recs: list[dict] = []
    out = {
        "format": "herd-motion-1",
        "video": video,
        "body": video if body is None else body,
        "image_size": [image_size, image_size],
        "frames": frame_recs,
    }
    skel = model.skeleton
    if skel is not None:
        assert model.articulation is not None and st.bone_scale is not None  # set with the skeleton
        rest = model.articulation.rest_joints.cpu().numpy()
        indiv = model.articulation.rest_joints_for(st.bone_scale[:1]).detach().cpu().numpy()[0]
        out["skeleton"] = {
            "joint_names": list(skel.joint_names),
            "parents": [int(p) for p in skel.parents],
            "rest_joints": _r(rest),
            "individual_rest_joints": _r(indiv),
            "bone_lengths": _r(
                np.linalg.norm(indiv[skel.bone_children] - indiv[np.asarray(skel.parents)[skel.bone_children]], axis=1)
            ),
        }
    obj2cam = st.obj2cam.detach().cpu().numpy()
    K = st.intrinsics.detach().cpu().numpy()
    joint2obj = st.joint2obj().cpu().numpy() if skel is not None else None
    for k in range(len(frame_index)):
        rec = {
            "frame": int(frame_index[k]),
            "time": round(float(model.time.frame_time[st.frames[k]]), 6),
            "obj2cam": _r(obj2cam[k]),
            "intrinsics": _r(K[k], 4),
        }
        if joint2obj is not None:
            assert st.skin is not None and st.joint_rotvecs is not None and st.joints is not None
            skin = st.skin[k].detach().cpu().numpy()
            j2o = joint2obj[k]
            rv = st.joint_rotvecs[k].detach().cpu().numpy()
            rec["joint2obj"] = _r(j2o)
            rec["skin"] = _r(skin)
            rec["rotation"] = _r(rv)
            rec["quaternion"] = _r(Rotation.from_rotvec(rv).as_quat())
            rec["joints_cam"] = _r(st.joints[k].detach().cpu().numpy() @ obj2cam[k, :3, :3].T + obj2cam[k, :3, 3])
        frame_recs.append(rec)
    return out
