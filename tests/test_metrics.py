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
    mesh_scores,
    sample_surface,
)
from herd.evaluation.images import psnr
from herd.evaluation.masks import iou
from herd.evaluation.skeleton import bone_length_r, proportions


def _body():
    m = trimesh.util.concatenate([trimesh.creation.capsule(height=0.6, radius=0.12),
                                  trimesh.creation.box(extents=[0.5, 0.1, 0.1])])
    v = np.asarray(m.vertices) + [0.0, 0.0, 2.5]  # in front of the camera
    return v, np.asarray(m.faces)


def test_mesh_against_itself():
    v, f = _body()
    s = mesh_scores(v, f, v, f)
    assert s.chamfer < 0.01 * 0.8  # only the sampling differs (two independent point sets)
    assert s.fscore[0.05] == 1.0 and s.fscore[0.02] > 0.99
    pts = sample_surface(v, f, 2000)
    exact = compare_points(pts, pts, 1.0)
    assert exact.chamfer == 0 and all(x == 1.0 for x in exact.fscore.values())


def test_alignment_recovers_a_scaled_and_moved_copy():
    v, f = _body()
    R = Rotation.from_rotvec([0.05, -0.08, 0.04]).as_matrix()
    c = v.mean(0)
    moved = (v - c) @ R.T + c + [0.02, -0.01, 0.03]
    pred = moved * 0.5  # a copy at half the scale: same silhouette, half the depth
    raw = mesh_scores(pred, f, v, f, scale=1.0, align=False)
    s = mesh_scores(pred, f, v, f)
    assert raw.fscore[0.05] < 0.1
    assert s.fscore[0.02] > 0.98 and s.chamfer < 0.01, s
    assert mesh_scores(moved + [0.2, 0, 0], f, v, f).chamfer < 0.01


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
