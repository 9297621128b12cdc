"""herd's own cue network: its inputs, labels, mirror-aware loss, weights files and how preprocess
and the orientation search use it."""

import numpy as np
import pytest
import torch

from herd.cuenet.dataset import crop_joints, video_samples
from herd.cuenet.train import flip, joint_nll, load_shards, soft_view_labels, view_angles, view_bins
from herd.data.skeletons import BUILTIN
from herd.preprocess.crop import crop_matrix
from herd.preprocess.cue_net import (
    CHANNELS,
    INPUT,
    MAX_CONFIDENCE,
    CueNet,
    cue_features,
    load_cue_net,
    predict,
    save_cue_net,
)


def test_features_are_the_mask_and_the_object_motion_relative_to_its_median():
    mask = np.zeros((40, 40), bool)
    mask[10:30, 5:35] = True
    fw = np.zeros((40, 40, 3), np.float32)
    fw[..., 0] = 2.0  # the whole frame moves 2 px right: the crop's or the camera's motion
    fw[10:20, 5:35, 1] = 4.0  # the top half of the object moves down besides
    x = cue_features(mask, fw, None)
    assert x.shape == (CHANNELS, INPUT, INPUT) and x.dtype == np.float32
    assert x[0].max() == 1 and x[0].mean() == pytest.approx(mask.mean(), abs=0.02)
    assert np.abs(x[1]).max() < 1e-6  # the median motion is removed
    inside = x[0] > 0.5
    assert np.ptp(x[2][inside]) > 0.5 and np.abs(x[2][~inside]).max() == 0  # only the object's own motion
    assert np.abs(x[3:]).max() == 0  # no backward flow at a video's first frame


def test_joints_project_into_the_crop_in_unit_coordinates():
    K = np.array([100.0, 100.0, 63.5, 63.5])
    joints = np.array([[[0.0, 0.0, 2.0], [0.2, -0.1, 2.0]]])
    crop = np.array([[31.5, 40.0, 64.0]])
    u = crop_joints(joints, K, crop, 32)
    px = np.array([63.5, 63.5]), np.array([73.5, 58.5])
    M = crop_matrix(crop[0], 32)
    for j in range(2):
        expect = (M[:, :2] @ px[j] + M[:, 2] + 0.5) / 32
        assert np.allclose(u[0, j], expect)


def test_views_labels_and_flips_are_consistent():
    bins = view_bins()
    assert bins.shape == (120, 3, 3) and np.allclose(np.linalg.det(bins), 1)
    a = view_angles(bins[[7]])
    assert a[0, 7] < 1e-3 and a[0].argmin() == 7
    lab = soft_view_labels(bins[[7]])
    assert lab.sum() == pytest.approx(1) and lab.argmax() == 7
    sym = torch.as_tensor(BUILTIN["quad"].symmetry)
    x = torch.randn(2, CHANNELS, INPUT, INPUT)
    j = torch.rand(2, 25, 2)
    R = torch.from_numpy(bins[[3, 50]]).float()
    x2, j2, R2 = flip(*flip(x, j, R, sym), sym)
    assert torch.allclose(x2, x) and torch.allclose(j2, j) and torch.allclose(R2, R, atol=1e-6)
    _, jf, Rf = flip(x, j, R, sym)
    assert torch.allclose(jf[:, sym, 0], 1 - j[..., 0]) and torch.allclose(torch.det(Rf), torch.ones(2))


def test_joint_loss_takes_the_better_of_the_two_labellings():
    sym = torch.as_tensor(BUILTIN["quad"].symmetry)
    true = torch.rand(1, 25, 2)
    ls = torch.full((1, 25), -3.0)
    exact = joint_nll(true, ls, true, sym)
    assert torch.allclose(joint_nll(true[:, sym], ls, true, sym), exact)  # the mirror costs nothing
    assert joint_nll(true + 0.1, ls, true, sym) > exact + 1


def test_heatmap_spread_costs_like_an_offset_of_the_mean():
    sym = torch.as_tensor(BUILTIN["quad"].symmetry)
    true = torch.rand(1, 25, 2)
    ls = torch.full((1, 25), -3.0)
    off = true.clone()
    off[..., 0] += 0.05
    spread = torch.full((1, 25), 0.05**2)
    assert torch.allclose(joint_nll(true, ls, true, sym, spread), joint_nll(off, ls, true, sym))
    net = CueNet(25, 120, width=4).eval()
    with torch.no_grad():
        net.heat.weight.zero_()
        net.heat.bias.zero_()  # flat heatmaps: each coordinate uniform over [0, 1], variance 1/12
        *_, var = net(torch.zeros(1, CHANNELS, INPUT, INPUT), spread=True)
    assert torch.allclose(var, torch.full_like(var, 2 / 12), atol=1e-3)


def test_shards_concatenate_with_their_videos_counted_on(tmp_path):
    paths = []
    for k, n in enumerate((3, 2)):
        paths.append(tmp_path / f"s{k}.npz")
        np.savez(
            paths[-1],
            x=np.full((n, CHANNELS, INPUT, INPUT), k, np.float16),
            joints=np.zeros((n, 25, 2), np.float32),
            rot=np.tile(np.eye(3, dtype=np.float32), (n, 1, 1)),
            video=np.arange(n, dtype=np.int32),
        )
    x, joints, rot, video = load_shards(paths)
    assert video.tolist() == [0, 1, 2, 3, 4] and x[:, 0, 0, 0].tolist() == [0, 0, 0, 1, 1]
    assert joints.shape == (5, 25, 2) and rot.shape == (5, 3, 3)
    assert load_shards(paths[0])[3].tolist() == [0, 1, 2]


def test_weights_round_trip_without_pickle(tmp_path):
    net = CueNet(25, 120, width=4).eval()
    path = tmp_path / "w.npz"
    save_cue_net(net, path, {"joint_names": list(BUILTIN["quad"].joint_names), "heldout": {"sigma_median": 0.02}})
    loaded, header = load_cue_net("quad", path)
    assert header["heldout"]["sigma_median"] == 0.02 and header["width"] == 4
    x = np.random.default_rng(0).normal(size=(3, CHANNELS, INPUT, INPUT)).astype(np.float32)
    a, b = predict(net, x), predict(loaded, x)
    assert np.allclose(a["joints"], b["joints"], atol=2e-3)  # float16 weights
    assert a["view_logp"].shape == (3, 120) and np.allclose(np.exp(b["view_logp"]).sum(1), 1, atol=1e-4)
    assert load_cue_net("quad", tmp_path / "missing.npz") is None
    with np.load(path, allow_pickle=False) as z:  # plain arrays only
        assert all(z[k].dtype != object for k in z.files)


def test_samples_follow_the_object_through_its_crops():
    rng = np.random.default_rng(1)
    frames = (rng.random((3, 48, 48, 3)) * 255).astype(np.uint8)
    masks = np.zeros((3, 48, 48), bool)
    for t in range(3):
        masks[t, 10:30, 8 + 4 * t : 28 + 4 * t] = True
    x, crops = video_samples(frames, masks, 32)
    assert x.shape == (3, CHANNELS, INPUT, INPUT) and crops.shape == (3, 3)
    assert (x[:, 0] > 0.5).mean() > 0.2  # the crop keeps the object large


def test_mask_jitter_grows_or_shrinks_the_mask_and_keeps_the_flow_inside():
    from herd.cuenet.train import jitter_masks

    x = torch.zeros(64, CHANNELS, INPUT, INPUT)
    x[:, 0, 20:40, 20:40] = 1
    x[:, 1:, 20:40, 20:40] = 0.5
    y = jitter_masks(x, torch.Generator().manual_seed(0))
    areas = y[:, 0].sum((1, 2))
    assert (areas > 400).any() and (areas < 400).any() and (areas == 400).any()
    assert (y[:, 1:] * (1 - y[:, :1])).abs().max() == 0


def test_shipped_network_finds_joints_and_viewpoints_of_an_unseen_synthetic_quadruped(tmp_path):
    """The weights herd ships, through ``herd preprocess`` (images and masks only), on a herd synth
    quadruped of a seed the network never saw: joints (up to the left-right mirror) a few pixels
    off, the viewpoint bin near the true camera rotation, and the precision it states its own."""
    import json

    from herd.cli.main import main as herd_main
    from herd.data.reader import load_dataset
    from herd.evaluation.truth import link_truth
    from herd.geometry.transforms import rotation_angle_deg, view_rotations
    from herd.preprocess.crop import crop_intrinsics

    net_header = load_cue_net("quad")
    if net_header is None:
        pytest.skip("no shipped cue network")
    synth, real = tmp_path / "synth", tmp_path / "real"
    assert (
        herd_main(
            [
                "synth",
                "--category",
                "quad",
                "--videos",
                "1",
                "--frames",
                "16",
                "--res",
                "128",
                "--seed",
                "123",
                "--heldout_views",
                "0",
                "--transfer_pairs",
                "0",
                "--out",
                str(synth),
                "--quiet",
            ]
        )
        == 0
    )
    assert (
        herd_main(
            [
                "preprocess",
                "--input",
                str(synth / "v000" / "images"),
                "--masks",
                str(synth / "v000" / "masks"),
                "--category",
                "quad",
                "--res",
                "128",
                "--min_motion",
                "0",
                "--pose",
                "cuenet",
                "--out",
                str(real),
                "--quiet",
            ]
        )
        == 0
    )
    ds = load_dataset(real)
    v, vt = ds.videos[0], link_truth(ds).videos[0]
    assert v.keypoints_mirrored and v.keypoint_sigma_px == pytest.approx(net_header[1]["heldout"]["sigma_median"] * 128)
    crops = np.array(json.loads((v.root / "video.json").read_text())["crops"])
    J = vt.array("joints_cam")
    K = np.stack([crop_intrinsics(k, c, 128) for k, c in zip(vt.intrinsics, crops)])
    uv = np.stack(
        [K[:, None, 0] * J[..., 0] / J[..., 2] + K[:, None, 2], K[:, None, 1] * J[..., 1] / J[..., 2] + K[:, None, 3]],
        -1,
    )
    idx = [ds.skeleton.joint_names.index(n) for n in v.keypoint_names]
    err = np.linalg.norm(v.keypoints[..., :2] - uv[:, idx], axis=-1).mean(1)
    mirrored = np.linalg.norm(v.keypoints[..., :2] - uv[:, ds.skeleton.symmetry[idx]], axis=-1).mean(1)
    assert np.median(np.minimum(err, mirrored)) < 4.0, np.round(np.minimum(err, mirrored), 1)  # px of 128
    conf = v.keypoints[..., 2]  # how much surer than typical, squared, capped: unsure joints weigh less
    assert conf.min() >= 0 and conf.max() <= MAX_CONFIDENCE
    assert (conf == MAX_CONFIDENCE).mean() > 0.1 and (conf < 0.5 * MAX_CONFIDENCE).mean() > 0.05
    bins = view_rotations()[v.view_logp.argmax(1)]
    true_R = vt.array("obj2cam")[:, :3, :3]
    angle = rotation_angle_deg(np.swapaxes(bins, 1, 2) @ true_R)
    assert (angle < 30).mean() >= 0.8, np.round(angle)
