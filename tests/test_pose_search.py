"""The pieces of ``--init_pose search``: normalised silhouettes and the Viterbi path."""

import numpy as np
import torch

from herd.train import pose_search as ps

CELLS_PER_UNIT = ps.GRID / (2 * ps.SPAN)


def test_mask_and_template_silhouettes_share_one_normalised_frame():
    # a 40 x 70 px box in a mask, and points filling a box of the same proportions seen head-on
    mask = np.zeros((128, 128), bool)
    mask[20:60, 50:120] = True
    m = ps.mask_silhouette(mask)
    g = torch.Generator().manual_seed(0)
    pts = torch.rand(20000, 3, generator=g) * torch.tensor([0.7, 0.4, 0.05])
    sil = ps.template_silhouettes(
        pts, torch.eye(3)[None], torch.tensor([[0.0, 0.0, 5.0]]), np.array([200.0, 200.0, 64.0, 64.0])
    )[0].numpy()
    for s in (m, sil):
        assert abs(s.sum() / CELLS_PER_UNIT**2 - 1) < 0.2  # area 1, to a row of cells
        ys, xs = np.nonzero(s)
        assert abs(xs.mean() + 0.5 - ps.GRID / 2) < 1 and abs(ys.mean() + 0.5 - ps.GRID / 2) < 1  # centred
        assert 1.4 < (np.ptp(xs) + 1) / (np.ptp(ys) + 1) < 2.1  # the 7:4 box (to a cell), not squashed
    # both rasters are thresholded per cell, so the two 6.9-cell-high boxes come out 6 and 8 high
    assert ps.soft_iou(sil[None], m)[0] > 0.7
    assert ps.soft_iou(sil.T[None], m)[0] < 0.55  # the same box on end matches much worse
    assert ps.mask_silhouette(np.zeros((64, 64), bool)) is None


def test_viterbi_trades_score_against_turning():
    # two candidates 90 degrees apart; frame 1 prefers the other one by a little
    scores = np.array([[1.0, 0.0], [0.45, 0.5], [1.0, 0.0]])
    turn = np.tile(np.array([[0.0, np.pi / 2], [np.pi / 2, 0.0]]), (2, 1, 1))
    assert ps.viterbi(scores, turn, turn_cost=0.05).tolist() == [0, 0, 0]  # 2 x 0.45 to turn away and back
    assert ps.viterbi(scores, turn, turn_cost=0.0).tolist() == [0, 1, 0]
    # a lasting change of view is followed
    scores = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    assert ps.viterbi(scores, np.tile(turn[:1], (3, 1, 1)), turn_cost=0.05).tolist() == [0, 1, 1, 1]


def test_viewpoint_bins_circle_an_upright_object_from_a_raised_camera():
    from herd.geometry.transforms import UPRIGHT_SIDE_VIEW, VIEW_ELEVATIONS, VIEW_YAWS, view_rotations

    R = view_rotations()
    assert R.shape == (len(VIEW_YAWS) * len(VIEW_ELEVATIONS), 3, 3)
    assert np.allclose(R @ R.transpose(0, 2, 1), np.eye(3), atol=1e-12) and np.allclose(np.linalg.det(R), 1)
    up, forward = np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0])
    for k, Rk in enumerate(R):
        yaw, elev = VIEW_YAWS[k // len(VIEW_ELEVATIONS)], VIEW_ELEVATIONS[k % len(VIEW_ELEVATIONS)]
        # the object's up axis stays in the image's vertical plane, tilted towards the camera by the
        # elevation: a camera above sees the back, whatever way the object is turned
        u = Rk @ up
        assert (
            abs(u[0]) < 1e-9
            and np.isclose(u[1], -np.cos(np.radians(elev)))
            and np.isclose(u[2], -np.sin(np.radians(elev)))
        )
        # the turn is about that up axis: at elevation 0 the forward axis goes from image right
        # (yaw 0, the side view) through away from the camera (yaw 90, its back seen) and back
        if elev == 0:
            f = Rk @ forward
            assert np.allclose(f, [np.cos(np.radians(yaw)), 0, np.sin(np.radians(yaw))], atol=1e-9)
    assert np.allclose(R[VIEW_YAWS.index(0) * len(VIEW_ELEVATIONS) + VIEW_ELEVATIONS.index(0)], UPRIGHT_SIDE_VIEW)


def test_depth_is_placed_by_the_area_the_body_covers_at_its_orientation():
    """A long body seen from the side covers more pixels than seen head-on at the same distance: the
    mask's area alone (a round object) puts the head-on frames too far away; placing each frame by
    the area the template covers at its chosen orientation finds the one true depth of all frames."""
    import types

    import cv2

    g = torch.Generator().manual_seed(0)
    pts = (torch.rand(40000, 3, generator=g) - 0.5) * torch.tensor([0.3, 0.3, 1.0])  # 1 m long along z
    K = np.array([200.0, 200.0, 64.0, 64.0])
    side = torch.tensor([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])  # the body's length across the image
    F, depth = 16, 4.0
    R = torch.stack([side if f < F // 2 else torch.eye(3) for f in range(F)])
    masks = np.zeros((F, 128, 128), np.uint8)
    for f in range(F):  # rendered 4 times finer, then each pixel set when half covered
        cam = pts @ R[f].T + torch.tensor([0.0, 0.0, depth])
        u = (4 * (K[0] * cam[:, 0] / cam[:, 2] + K[2])).long().clamp(0, 511)
        v = (4 * (K[1] * cam[:, 1] / cam[:, 2] + K[3])).long().clamp(0, 511)
        fine = np.zeros((512, 512), np.float32)
        fine[v, u] = 1
        fine = cv2.morphologyEx(fine, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
        masks[f] = cv2.resize(fine, (128, 128), interpolation=cv2.INTER_AREA) >= 0.5
    cache = types.SimpleNamespace(mask=masks, detected=np.ones(F, bool), intrinsics=np.tile(K, (F, 1)))
    T = np.tile(np.eye(4), (F, 1, 1))
    T[:, :3, :3] = R.numpy()
    area = masks.reshape(F, -1).sum(1)
    T[:, 2, 3] = depth * np.sqrt(area.mean() / area)  # a round object's placement: depth from the area alone
    assert T[-1, 2, 3] / T[0, 2, 3] > 1.5  # head-on frames put far beyond the side-view ones
    placed = ps.place_by_area(T, pts, np.zeros(3), cache, np.arange(F))
    z = placed[:, 2, 3]
    ends = np.r_[z[:4], z[-4:]]  # away from the turn, which the smoothing blurs
    assert np.abs(ends / depth - 1).max() < 0.06
    assert np.ptp(np.log(ends)) < 0.08
    assert np.allclose(placed[:, :3, :3], T[:, :3, :3])
    assert np.allclose(placed[:, :2, 3], 0)  # moved along the ray through the centre, here the axis
