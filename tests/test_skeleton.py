import numpy as np
import pytest

from herd.data.skeletons import HUMAN, QUAD, get_skeleton
from herd.geometry.skeleton import Skeleton, forward_kinematics
from herd.geometry.transforms import apply_transform, axis_angle_to_matrix


@pytest.mark.parametrize("sk,lo,hi", [(HUMAN, 16, 21), (QUAD, 23, 27)])
def test_builtin_sizes_and_symmetry(sk, lo, hi):
    assert lo <= sk.num_joints <= hi
    assert np.all(sk.symmetry[sk.symmetry] == np.arange(sk.num_joints)), "symmetry must be an involution"
    # mirrored joints mirror in x
    np.testing.assert_allclose(sk.rest_joints[sk.symmetry] * [-1, 1, 1], sk.rest_joints, atol=1e-9)
    # every named chain exists
    names = " ".join(sk.joint_names)
    for part in (
        ["head", "hand", "foot", "knee", "elbow"] if sk.name == "human" else ["head", "neck", "tail3", "paw", "knee"]
    ):
        assert part in names


def test_quad_has_four_legs_to_feet_and_tail_chain():
    paws = [n for n in QUAD.joint_names if n.endswith("_paw")]
    assert len(paws) == 4 and all(not QUAD.children(QUAD.index(p)) for p in paws)
    assert QUAD.parents[QUAD.index("tail2")] == QUAD.index("tail1")


def test_fk_identity_is_rest_and_rotation_moves_children_only():
    J = QUAD.num_joints
    R = np.tile(np.eye(3), (J, 1, 1))
    joint2obj, skin = forward_kinematics(QUAD.parents, QUAD.rest_joints, R)
    np.testing.assert_allclose(joint2obj[:, :3, 3], QUAD.rest_joints, atol=1e-12)
    np.testing.assert_allclose(skin, np.tile(np.eye(4), (J, 1, 1)), atol=1e-12)
    k = QUAD.index("fl_elbow")
    R[k] = axis_angle_to_matrix(np.array([0.7, 0.0, 0.0]))
    joint2obj, skin = forward_kinematics(QUAD.parents, QUAD.rest_joints, R)
    moved = np.linalg.norm(joint2obj[:, :3, 3] - QUAD.rest_joints, axis=1) > 1e-9
    assert set(np.nonzero(moved)[0]) == {QUAD.index("fl_wrist"), QUAD.index("fl_paw")}
    # bone lengths are preserved by rotations
    np.testing.assert_allclose(QUAD.bone_lengths(joint2obj[:, :3, 3]), QUAD.bone_lengths(), atol=1e-12)
    # the skinning transform of the elbow maps the rest wrist to the posed wrist
    w = QUAD.index("fl_wrist")
    np.testing.assert_allclose(apply_transform(skin[k], QUAD.rest_joints[w][None])[0], joint2obj[w, :3, 3], atol=1e-12)


def test_scaled_rest_joints_scale_bones():
    s = np.linspace(0.8, 1.2, QUAD.num_joints - 1)
    np.testing.assert_allclose(QUAD.bone_lengths(QUAD.scaled_rest_joints(s)), s * QUAD.bone_lengths(), rtol=1e-12)


def test_json_round_trip_and_validation():
    assert Skeleton.from_json(HUMAN.to_json()) == HUMAN
    with pytest.raises(ValueError):
        Skeleton("bad", ("a", "b"), np.array([-1, -1]), np.zeros((2, 3)), np.array([0, 1]))
    with pytest.raises(KeyError):
        get_skeleton("octopus")
