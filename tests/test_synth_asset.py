"""Bodies and motions from the rigged Fox glTF asset (herd.synth.asset)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from herd.errors import HerdInputError
from herd.synth.asset import (
    BONE_SCALE_RANGE,
    GLOBAL_SCALE_RANGE,
    load_asset,
    make_asset_body,
    make_asset_motion,
    symmetry_map,
)

FOX = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "assets" / "Fox.glb"
needs_fox = pytest.mark.skipif(not FOX.is_file(), reason=f"{FOX} not present")


@pytest.fixture(scope="module")
def fox():
    if not FOX.is_file():
        pytest.skip(f"{FOX} not present")
    return load_asset(FOX)


def _apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return pts @ m[:3, :3].T + m[:3, 3]


@needs_fox
def test_fox_skeleton(fox):
    sk = fox.skeleton
    assert sk.num_joints == 24
    assert sk.parents[0] == -1 and np.all(sk.parents[1:] < np.arange(1, 24)) and np.all(sk.parents[1:] >= 0)
    assert set(fox.clip_names) == {"Survey", "Walk", "Run"}
    # The skin's joints, reordered: the mapping points back at the same glTF nodes.
    import pygltflib

    skin = pygltflib.GLTF2().load_binary(str(FOX)).skins[0]
    assert sorted(fox.joint_nodes.tolist()) == sorted(skin.joints)
    # Symmetry: an involution pairing the Fox's left and right legs, left on +x.
    assert np.all(sk.symmetry[sk.symmetry] == np.arange(24))
    left, right = sk.index("b_LeftLeg01_015"), sk.index("b_RightLeg01_019")
    assert sk.symmetry[left] == right
    assert sk.symmetry[sk.index("b_LeftHand_011")] == sk.index("b_RightHand_08")
    assert sk.symmetry[sk.index("b_Head_05")] == sk.index("b_Head_05")
    assert sk.rest_joints[left, 0] > 0 > sk.rest_joints[right, 0]
    np.testing.assert_allclose(sk.rest_joints[left] * [-1, 1, 1], sk.rest_joints[right], atol=2e-3)
    # Object space: faces +z, upright, 0.8 tall, standing on y = 0.
    assert sk.rest_joints[sk.index("b_Head_05"), 2] > sk.rest_joints[sk.index("b_Tail03_014"), 2]
    ext = np.ptp(fox.rest_verts, axis=0)
    assert ext[1] == pytest.approx(0.8) and ext[1] > ext[0]
    assert fox.rest_verts[:, 1].min() == pytest.approx(0.0, abs=1e-9)
    # Seams welded: a closed surface (every edge shared by exactly two triangles).
    e = np.sort(fox.faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    _, counts = np.unique(e, axis=0, return_counts=True)
    assert np.all(counts == 2)


def test_symmetry_names_and_positions():
    names = ["hips", "thigh.L", "thigh.R", "LeftArm", "RightArm", "l_ear", "r_ear", "tip_a", "tip_b"]
    rest = np.array(
        [[0, 1, 0], [1, 0, 0], [-1, 0, 0], [2, 2, 0], [-2, 2, 0], [0.5, 3, 0], [-0.5, 3, 0], [3, 1, 1], [-3, 1, 1]],
        dtype=float,
    )
    sym = symmetry_map(names, rest)
    assert sym.tolist() == [0, 2, 1, 4, 3, 6, 5, 8, 7]


@needs_fox
def test_bind_pose_skinning_reproduces_rest_mesh(fox):
    # The asset as it is: skinning with the inverse bind matrices gives the unskinned mesh.
    plain = make_asset_body(fox, None)
    np.testing.assert_allclose(plain.rest_verts, _apply(fox.world2obj, fox.bind_verts), atol=1e-9)
    np.testing.assert_allclose(plain.skeleton.rest_joints, fox.skeleton.rest_joints, atol=1e-9)
    # An individual: its bind pose is its rest mesh and rest skeleton.
    body = make_asset_body(fox, np.random.default_rng(5))
    verts, joints = body.pose_clip(None)
    np.testing.assert_allclose(verts, body.rest_verts, atol=1e-9)
    np.testing.assert_allclose(joints, body.skeleton.rest_joints, atol=1e-9)
    assert body.rest_verts[:, 1].min() == pytest.approx(0.0, abs=1e-9)


@needs_fox
def test_walk_poses(fox):
    body = make_asset_body(fox, np.random.default_rng(1))
    motion = make_asset_motion(fox, np.random.default_rng(2), num_frames=24, fps=24.0, clip="Walk")
    assert motion.obj2world.shape == (24, 4, 4) and motion.name.startswith("Walk x")
    poses = [body.pose(motion, t) for t in (0, 5, 11, 17)]
    height = np.ptp(body.rest_verts[:, 1])
    for verts, joints in poses:
        assert verts.shape == body.rest_verts.shape and joints.shape == (24, 3)
        assert np.all(np.isfinite(verts)) and np.all(np.isfinite(joints))
        lo, hi = verts.min(axis=0), verts.max(axis=0)
        assert np.all(np.abs(verts[:, [0, 2]]) < 1.5) and lo[1] > -0.1 * height and hi[1] < 1.5 * height
        assert abs(lo[1]) < 0.05 * height  # feet near the ground
        ext = hi - lo
        assert ext[1] > ext[0]  # upright: taller than wide
    for (v0, _), (v1, _) in itertools.pairwise(poses):
        assert np.abs(v0 - v1).max() > 1e-3


@needs_fox
def test_motion_path(fox):
    fps = 30.0
    walk = make_asset_motion(fox, np.random.default_rng(4), num_frames=60, fps=fps, clip="Walk")
    pos = walk.obj2world[:, :3, 3]
    assert np.all(pos[:, 1] == 0)
    step = np.diff(pos, axis=0)
    np.testing.assert_allclose(np.linalg.norm(step, axis=1) * fps, walk.ground_speed, rtol=1e-6)
    assert 0.8 * 0.8 <= walk.ground_speed <= 0.8 * 1.25
    # Moves along its heading (object +z), turning slowly.
    forward = walk.obj2world[:-1, :3, 2]
    np.testing.assert_allclose(step / np.linalg.norm(step, axis=1, keepdims=True), forward, atol=1e-9)
    yaw = np.unwrap(np.arctan2(walk.obj2world[:, 0, 2], walk.obj2world[:, 2, 2]))
    assert np.abs(np.diff(yaw)).max() * fps <= np.deg2rad(30.0) + 1e-9
    # Clip times wrap within the clip.
    clip = fox.clips["Walk"]
    assert np.all((walk.clip_times >= clip.start) & (walk.clip_times < clip.start + clip.duration))
    survey = make_asset_motion(fox, np.random.default_rng(4), num_frames=10, fps=fps, clip="Survey")
    assert np.allclose(survey.obj2world, survey.obj2world[0]) and survey.ground_speed == 0


@needs_fox
def test_individuals(fox):
    body = make_asset_body(fox, np.random.default_rng(7))
    sk = body.skeleton
    lengths = body.bone_lengths()
    assert lengths.shape == (23,)
    scales = body.params["bone_scale"]
    for c in range(1, 24):
        m = int(sk.symmetry[c])
        assert scales[sk.joint_names[c]] == scales[sk.joint_names[m]]
        assert BONE_SCALE_RANGE[0] <= scales[sk.joint_names[c]] <= BONE_SCALE_RANGE[1]
        np.testing.assert_allclose(lengths[c - 1], lengths[m - 1], rtol=2e-3, atol=1e-4)
    assert GLOBAL_SCALE_RANGE[0] <= body.params["global_scale"] <= GLOBAL_SCALE_RANGE[1]
    other = make_asset_body(fox, np.random.default_rng(8))
    assert not np.allclose(other.bone_lengths(), lengths)
    # Colours from the texture, in [0, 1].
    rng = np.random.default_rng(0)
    faces = rng.integers(0, len(body.faces), 500)
    bary = rng.dirichlet([1.0, 1.0, 1.0], 500)
    colours = body.albedo(faces, bary)
    assert colours.shape == (500, 3) and colours.min() >= 0 and colours.max() <= 1
    assert colours.std(axis=0).max() > 0.05  # textured, not flat


@needs_fox
def test_same_seed_same_output(fox):
    outs = []
    for _ in range(2):
        body = make_asset_body(fox, np.random.default_rng(11))
        motion = make_asset_motion(fox, np.random.default_rng(12), num_frames=8, fps=24.0)
        verts, joints = body.pose(motion, 6)
        outs.append((body.params, body.rest_verts, motion.name, motion.obj2world, verts, joints))
    a, b = outs
    assert a[0] == b[0] and a[2] == b[2]
    for x, y in zip(a[1:], b[1:]):
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y)


def test_bad_files(tmp_path):
    with pytest.raises(HerdInputError, match="not found"):
        load_asset(tmp_path / "missing.glb")
    text = tmp_path / "fox.glb"
    text.write_text("not a binary glTF")
    with pytest.raises(HerdInputError, match=r"fox\.glb: not a glTF 2\.0 binary"):
        load_asset(text)


@needs_fox
def test_no_animation_or_skin(tmp_path):
    import pygltflib

    gltf = pygltflib.GLTF2().load_binary(str(FOX))
    gltf.animations = []
    still = tmp_path / "still.glb"
    gltf.save_binary(str(still))
    # No clip: herd's quadruped actions drive the rig instead.
    fox_still = load_asset(still)
    assert fox_still.moving_clips == () and fox_still.kind == "quad"
    motion = make_asset_motion(fox_still, np.random.default_rng(0), num_frames=6, fps=10.0)
    assert motion.local_rot.shape == (6, 25, 3, 3)
    for node in gltf.nodes:
        node.skin = None
    rigid = tmp_path / "rigid.glb"
    gltf.save_binary(str(rigid))
    with pytest.raises(HerdInputError, match="no skinned"):
        load_asset(rigid)
