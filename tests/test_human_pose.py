"""Initial root poses and keypoints of people: PnP and body-frame math on landmarks made from a
known pose, the crop mapping of keypoints, and mediapipe on a real DAVIS clip."""

import numpy as np
import pytest
from conftest import DAVIS
from scipy.spatial.transform import Rotation

from herd.data.skeletons import BUILTIN
from herd.preprocess.crop import crop_image
from herd.preprocess.human_pose import (
    JOINT_LANDMARKS,
    NUM_LANDMARKS,
    Landmarks,
    crop_keypoints,
    fill_missing,
    root_poses,
)

HUMAN = BUILTIN["human"]
K = np.array([500.0, 500.0, 320.0, 240.0])


def _landmarks(obj2cam: np.ndarray, world_rot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Landmarks of the rest skeleton placed by ``obj2cam``: image ``(33, 3)`` and world ``(33, 3)``
    in a frame rotated by ``world_rot`` around the hip centre (as mediapipe's world frame is)."""
    names = list(HUMAN.joint_names)
    image, world = np.zeros((NUM_LANDMARKS, 3)), np.zeros((NUM_LANDMARKS, 3))
    hips = 0.5 * (HUMAN.rest_joints[names.index("l_hip")] + HUMAN.rest_joints[names.index("r_hip")])
    for joint, idx in JOINT_LANDMARKS.items():
        if len(idx) != 1:
            continue
        X = HUMAN.rest_joints[names.index(joint)]
        c = obj2cam[:3, :3] @ X + obj2cam[:3, 3]
        image[idx[0]] = [K[0] * c[0] / c[2] + K[2], K[1] * c[1] / c[2] + K[3], 1.0]
        world[idx[0]] = world_rot @ (X - hips)
    return image, world


def test_root_pose_from_landmarks_of_a_known_pose():
    rng = np.random.default_rng(0)
    F = 5
    true = np.tile(np.eye(4), (F, 1, 1))
    image, world = np.zeros((F, NUM_LANDMARKS, 3)), np.zeros((F, NUM_LANDMARKS, 3))
    for i in range(F):
        true[i, :3, :3] = Rotation.from_rotvec(rng.normal(0, 1.0, 3)).as_matrix()
        true[i, :3, 3] = [0.2 * i - 0.4, 0.1, 4.0 + 0.3 * i]
        image[i], world[i] = _landmarks(true[i], Rotation.random(random_state=i).as_matrix())
    found = np.ones(F, bool)
    found[2] = False  # no person: borrows from its neighbours
    poses = root_poses(Landmarks(image, world, found), K, HUMAN)
    for i in (0, 1, 3, 4):
        err = Rotation.from_matrix(poses[i, :3, :3] @ true[i, :3, :3].T).magnitude()
        assert np.degrees(err) < 0.5
        # the pelvis is 3 cm above the hip centre the world frame is built on
        assert np.linalg.norm(poses[i, :3, 3] - true[i, :3, 3]) < 0.05
    mid = Rotation.from_matrix(poses[[1, 3], :3, :3]).mean().as_matrix()
    assert np.degrees(Rotation.from_matrix(poses[2, :3, :3] @ mid.T).magnitude()) < 1.0
    assert np.allclose(poses[2, :3, 3], 0.5 * (poses[1, :3, 3] + poses[3, :3, 3]))
    assert root_poses(Landmarks(image, world, np.eye(F, dtype=bool)[0]), K, HUMAN) is None


def test_fill_missing_holds_the_ends():
    poses = np.tile(np.eye(4), (4, 1, 1))
    poses[1, :3, 3] = [1, 2, 3]
    poses[2, :3, 3] = [3, 2, 1]
    out = fill_missing(poses, np.array([False, True, True, False]))
    assert np.allclose(out[0], poses[1]) and np.allclose(out[3], poses[2])


def test_keypoints_land_where_the_crop_puts_the_pixel():
    H, W, res = 240, 320, 64
    crop = np.array([100.0, 40.0, 160.0])
    names = ["l_hand", "pelvis"]
    image = np.zeros((1, NUM_LANDMARKS, 3))
    image[0, 15] = [180, 120, 0.9]  # l_hand
    image[0, [23, 24]] = [[150, 100, 1.0], [170, 100, 0.7]]  # pelvis = mean of the hips
    kp = crop_keypoints(Landmarks(image, np.zeros_like(image), np.ones(1, bool)), crop[None], res, names)
    for j, (x, y) in enumerate([(180, 120), (160, 100)]):
        raw = np.zeros((H, W), bool)
        raw[y, x] = True
        cut = crop_image(raw.astype(np.float32) * 255, crop, res).astype(np.float64)
        cy, cx = np.unravel_index(np.argmax(cut), cut.shape)
        assert abs(kp[0, j, 0] - cx) <= 0.5 and abs(kp[0, j, 1] - cy) <= 0.5
    assert kp[0, 0, 2] == pytest.approx(0.9) and kp[0, 1, 2] == pytest.approx(0.7)


@pytest.mark.skipif(not (DAVIS / "dance-twirl").is_dir(), reason="needs ../shared/data/davis")
def test_mediapipe_on_a_real_dancer(tmp_path):
    """dance-twirl with its DAVIS masks: a person in (almost) every frame, confident keypoints on
    the masked person, and initial poses upright (head above pelvis) in front of the camera."""
    pytest.importorskip("mediapipe")
    import cv2

    from herd.data.reader import load_dataset
    from herd.preprocess.pipeline import PreprocessConfig, preprocess

    clip = DAVIS / "dance-twirl"
    out = preprocess(
        PreprocessConfig(
            inputs=[clip / "JPEGImages"],
            category="human",
            out=tmp_path / "dt",
            masks=[clip / "Annotations"],
            max_frames=16,
            res=96,
            progress=False,
        )
    )
    v = load_dataset(out).videos[0]
    assert v.init_obj2cam is not None and v.keypoints is not None
    assert set(v.keypoint_names) == set(JOINT_LANDMARKS)
    conf = v.keypoints[..., 2] > 0.5
    assert conf.any(1).mean() >= 0.9
    masks = v.load_masks()
    inside = []
    for i in range(v.num_frames):
        near = cv2.dilate(masks[i].astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        for x, y, c in v.keypoints[i]:
            if c > 0.5 and 0 <= round(y) < 96 and 0 <= round(x) < 96:
                inside.append(near[round(y), round(x)])
    assert np.mean(inside) > 0.9
    names = list(HUMAN.joint_names)
    T = v.init_obj2cam
    head = T[:, :3, :3] @ HUMAN.rest_joints[names.index("head")] + T[:, :3, 3]
    pelvis = T[:, :3, :3] @ HUMAN.rest_joints[names.index("pelvis")] + T[:, :3, 3]
    assert (T[:, 2, 3] > 0).all()
    assert (head[:, 1] / head[:, 2] < pelvis[:, 1] / pelvis[:, 2]).mean() >= 0.9


@pytest.mark.skipif(not (DAVIS / "dance-twirl").is_dir(), reason="needs ../shared/data/davis")
def test_person_masks_follow_the_dancer_not_the_crowd():
    pytest.importorskip("mediapipe")
    from herd.preprocess.masks import person_masks, read_mask
    from herd.preprocess.sources import read_source

    clip = DAVIS / "dance-twirl"
    src = read_source(clip / "JPEGImages", None, 12, "dance-twirl")
    pred = person_masks(src)
    true = np.stack([read_mask(clip / "Annotations" / f"{i:05d}.png") for i in src.raw_indices])
    iou = (pred & true).sum((1, 2)) / np.maximum((pred | true).sum((1, 2)), 1)
    assert iou.mean() > 0.75
