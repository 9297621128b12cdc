"""Metrics on cases with known answers."""

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from herd.evaluation.evaluate import format_table
from herd.evaluation.geometry import (
    aligned_joint_error,
    compare_points,
    icp,
    kabsch,
    per_frame_scores,
    sample_surface,
    sequence_scores,
)
from herd.evaluation.images import psnr
from herd.evaluation.masks import iou
from herd.evaluation.skeleton import bone_length_r, proportions


def _body():
    m = trimesh.util.concatenate(
        [trimesh.creation.capsule(height=0.6, radius=0.12), trimesh.creation.box(extents=[0.5, 0.1, 0.1])]
    )
    v = np.asarray(m.vertices) + [0.0, 0.0, 2.5]  # in front of the camera
    return v, np.asarray(m.faces)


def _grid(spacing: float = 0.1) -> np.ndarray:
    """A 6 x 6 x 6 lattice of points, ``spacing`` apart, 2.5 m in front of the camera: every point's
    nearest neighbour moved by less than ``spacing / 2`` is itself."""
    a = np.arange(6) * spacing
    return np.stack(np.meshgrid(a, a, a, indexing="ij"), -1).reshape(-1, 3) + [-0.25, -0.25, 2.25]


def test_a_point_set_against_itself_scores_perfectly():
    v, f = _body()
    pts = sample_surface(v, f, 2000)
    exact = compare_points(pts, pts, (0.01, 0.02))
    assert exact.chamfer == 0 and all(x == 1.0 for x in exact.fscore.values())
    # two independent samplings of one mesh differ only by the sampling
    s = per_frame_scores([sample_surface(v, f, 5000, seed=1)], [sample_surface(v, f, 5000, seed=2)])[0]
    assert s.chamfer < 0.016 and s.fscore[0.05] == 1.0 and s.fscore[0.02] > 0.99


def test_both_protocols_recover_a_shifted_scaled_copy_exactly():
    """Predicted frames at half the scale about the camera centre and shifted (a monocular model's
    ambiguity plus a small offset): the median-depth ratio is exactly 2, and ICP removes the shift,
    so both protocols give Chamfer 0 and F-scores 1 (hand-computed)."""
    p = _grid()
    shift = np.array([0.04, -0.02, 0.0])
    preds, trues = [0.5 * (p + shift)] * 2, [p, p]
    for s in per_frame_scores(preds, trues) + sequence_scores(preds, trues):
        assert s.chamfer < 1e-9 and all(f == 1.0 for f in s.fscore.values()), s
    assert sorted(per_frame_scores(preds, trues)[0].fscore) == [0.02, 0.05, 0.1]
    assert sorted(sequence_scores(preds, trues)[0].fscore) == [0.02, 0.05, 0.1]


def test_per_frame_drift_is_penalised_by_the_sequence_protocol_only():
    """Frame 0 drifts 3 cm to the right, frame 1 3 cm to the left. Per frame, ICP aligns each away
    (Chamfer 0). One transform for the sequence cannot: by symmetry the best one is the identity,
    every point stays 3 cm from its true place in both directions, so Chamfer = 3 + 3 = 6 cm and
    F is 0 at 2 cm and 1 at 5 and 10 cm (hand-computed)."""
    p = _grid()
    d = np.array([0.03, 0.0, 0.0])
    preds, trues = [p + d, p - d], [p, p]
    for s in per_frame_scores(preds, trues):
        assert s.chamfer < 1e-9 and s.fscore[0.02] == 1.0
    for s in sequence_scores(preds, trues):
        assert abs(s.chamfer - 0.06) < 1e-9
        assert s.fscore == {0.02: 0.0, 0.05: 1.0, 0.1: 1.0}


def test_scale_drift_is_penalised_by_the_sequence_protocol_only():
    """Frames at scales 1 and 1.25 about the camera centre: each frame's own median-depth ratio
    undoes its scale, the sequence's one (their median) undoes neither."""
    p = _grid()
    preds, trues = [p, 1.25 * p], [p, p]
    assert all(s.chamfer < 1e-9 for s in per_frame_scores(preds, trues))
    assert min(s.chamfer for s in sequence_scores(preds, trues)) > 0.02


def test_kabsch_and_icp_find_a_known_rigid_motion():
    rng = np.random.default_rng(0)
    p = rng.normal(size=(500, 3))
    T = np.eye(4)
    T[:3, :3] = Rotation.from_rotvec([0.1, 0.2, -0.1]).as_matrix()
    T[:3, 3] = [0.1, 0.0, -0.05]
    q = p @ T[:3, :3].T + T[:3, 3]
    assert np.allclose(kabsch(p, q), T, atol=1e-8)
    assert np.allclose(icp(p, q[rng.permutation(500)]), T, atol=1e-4)
    assert np.isclose(aligned_joint_error(q[:20] / 2, q[:20], 2.0), 0, atol=1e-8)


def test_iou_and_psnr_on_hand_made_images():
    a = np.zeros((10, 10), bool)
    b = np.zeros((10, 10), bool)
    a[:, :5] = True
    b[:, 2:7] = True
    assert iou(a, b) == 30 / 70
    assert iou(a, a) == 1.0 and iou(~a & a, ~a & a) == 1.0
    x = np.full((4, 4, 3), 0.5)
    y = x.copy()
    y[0, 0] = 0.6  # one pixel off by 0.1 in all channels: MSE = 0.01 / 16
    assert np.isclose(psnr(x, y), 10 * np.log10(16 / 0.01))
    m = np.zeros((4, 4), bool)
    m[0, 0] = True
    assert np.isclose(psnr(x, y, m), 20.0)
    assert psnr(x, x) == float("inf") and np.isnan(psnr(x, y, np.zeros((4, 4), bool)))


def test_bone_length_correlation_ignores_scale_but_not_proportions():
    rng = np.random.default_rng(1)
    true = rng.uniform(0.1, 0.4, size=(6, 12))
    sized = true * rng.uniform(0.5, 2.0, size=(6, 1)) * 3.0  # per-individual and global scale
    assert np.isclose(bone_length_r(sized, true), 1.0)
    assert np.allclose(proportions(sized), proportions(true))
    shuffled = true[:, rng.permutation(12)]
    assert bone_length_r(shuffled, true) < 0.5
    assert bone_length_r(sized, true, per_individual_scale=False) < 0.99


def test_table_lists_metrics_in_order():
    t = format_table({"ref_psnr": {"v0": 20.0, "mean": 20.0}, "ref_mask_iou": {"v0": 0.9, "mean": 0.9}})
    lines = t.splitlines()
    assert lines[1].startswith("ref_mask_iou") and lines[2].startswith("ref_psnr") and "0.9000" in lines[1]
