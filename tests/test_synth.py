"""herd synth: flow, keypoints, held-out and transfer cameras, determinism, the Fox asset."""

import filecmp
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import FOX, _synth

from herd.data.ground_truth import GroundTruth
from herd.data.reader import load_dataset
from herd.geometry.raster import rasterize
from herd.geometry.skeleton import forward_kinematics
from herd.geometry.transforms import (
    apply_transform,
    invert_transform,
    rotation_angle_deg,
)


def _iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def _splat(mask, flow):
    """Forward-splat a mask with a flow field to the nearest pixels; close one-pixel stretching holes."""
    from scipy.ndimage import binary_closing

    H, W = mask.shape
    ys, xs = np.nonzero(mask)
    xi = np.round(xs + flow[ys, xs, 0].astype(float)).astype(int)
    yi = np.round(ys + flow[ys, xs, 1].astype(float)).astype(int)
    ok = (xi >= 0) & (xi < W) & (yi >= 0) & (yi < H)
    out = np.zeros_like(mask)
    out[yi[ok], xi[ok]] = True
    return binary_closing(out, np.ones((3, 3), bool)) | out


def _core_iou(a, b):
    """IoU outside a one-pixel band around the boundary of ``b`` (where rounding decides)."""
    from scipy.ndimage import binary_dilation, binary_erosion

    k = np.ones((3, 3), bool)
    band = binary_dilation(b, k) & ~binary_erosion(b, k)
    return _iou(a & ~band, b & ~band)


def _landing_precision(m0, m1, flow):
    """Fraction of confident pixels of ``m0`` whose flow lands inside ``m1``."""
    H, W = m0.shape
    ys, xs = np.nonzero(m0 & (flow[..., 2] > 0))
    xi = np.clip(np.round(xs + flow[ys, xs, 0].astype(float)).astype(int), 0, W - 1)
    yi = np.clip(np.round(ys + flow[ys, xs, 1].astype(float)).astype(int), 0, H - 1)
    return m1[yi, xi].mean()


@pytest.mark.parametrize("fixture", ["tiny_quad", "tiny_human"])
def test_flow_moves_frame_t_onto_t_plus_gap(fixture, request):
    ds = load_dataset(request.getfixturevalue(fixture))
    for v in ds.videos:
        masks = v.load_masks()
        F = v.num_frames
        # the warped mask covers the next one (holes only where the body turns a new side to us)
        ious = [_core_iou(_splat(masks[t], v.load_flow("fw", 1)[t]), masks[t + 1]) for t in range(F - 1)]
        assert np.mean(ious) > 0.95, (v.name, ious)
        for g in (1, 2, 4, 8):
            fw, bw = v.load_flow("fw", g), v.load_flow("bw", g)
            # every visible surface point lands on the body in the other frame
            for t in range(F - g):
                assert _landing_precision(masks[t], masks[t + g], fw[t]) > 0.98, (v.name, g, t)
                assert _landing_precision(masks[t + g], masks[t], bw[t]) > 0.98, (v.name, g, t)
            # and a flow field that is off by 3 px does not
            shifted = np.array(fw[0]).astype(float)
            shifted[..., 0] += 3
            assert _landing_precision(masks[0], masks[g], shifted) < _landing_precision(masks[0], masks[g], fw[0])
            # confidence is 1 on most of the object (few occlusions) and 0 off it
            assert fw[..., 2][masks[:-g]].astype(float).mean() > 0.5
            assert fw[..., 2][~masks[:-g]].max() == 0


def test_keypoints_fall_inside_the_mask(tiny_quad):
    ds = load_dataset(tiny_quad)
    for v in ds.videos:
        masks = v.load_masks()
        kp = v.keypoints
        assert v.keypoint_names == list(ds.skeleton.joint_names)
        inside = []
        for t in range(v.num_frames):
            x, y = np.round(kp[t, :, 0]).astype(int), np.round(kp[t, :, 1]).astype(int)
            ok = kp[t, :, 2] > 0
            # joints lie inside the body; allow a one-pixel margin at thin limbs
            m = masks[t]
            grown = m | np.roll(m, 1, 0) | np.roll(m, -1, 0) | np.roll(m, 1, 1) | np.roll(m, -1, 1)
            inside.append(grown[y[ok], x[ok]])
        assert np.concatenate(inside).mean() > 0.97


def test_initial_poses_have_the_requested_noise(tiny_quad):
    ds, gt = load_dataset(tiny_quad), GroundTruth(tiny_quad)
    ang = np.concatenate(
        [
            rotation_angle_deg(v.init_obj2cam[:, :3, :3] @ np.swapaxes(gt.array(v.name, "obj2cam")[:, :3, :3], 1, 2))
            for v in ds.videos
        ]
    )
    assert 8 < np.sqrt((ang**2).mean()) < 22  # RMS 15 degrees by default


def _project_mask(verts_cam, faces, K, res):
    return rasterize(verts_cam, faces, K, res, res).mask


def test_heldout_views_come_from_the_cameras_they_claim(tiny_quad):
    ds, gt = load_dataset(tiny_quad), GroundTruth(tiny_quad)
    for v in ds.videos:
        posed = gt.array(v.name, "posed_verts_cam")
        obj2cam = gt.array(v.name, "obj2cam")
        faces = gt.rest_mesh(v.name)["faces"]
        views = gt.heldout(v.name)
        assert len(views) == 2
        for view in views:
            for t in (0, v.num_frames - 1):
                cam2cam = view.obj2cam[t] @ invert_transform(obj2cam[t])
                m = _project_mask(apply_transform(cam2cam, posed[t].astype(float)), faces, view.intrinsics[t], v.width)
                assert _iou(m, view.mask(t)) > 0.98
                # and it is another viewpoint: the silhouette differs from the reference one
                assert _iou(view.mask(t), v.load_mask(t)) < 0.9


def test_transfer_targets_are_body_b_with_motion_a_from_a_cameras(tiny_quad):
    ds, gt = load_dataset(tiny_quad), GroundTruth(tiny_quad)
    (pair,) = gt.transfer_pairs()
    a, b = pair["motion"], pair["body"]
    view = gt.transfer(pair["name"])
    np.testing.assert_allclose(view.obj2cam, gt.array(a, "obj2cam"), atol=1e-9)
    rest = gt.rest_mesh(b)
    joints_b = np.asarray(gt.body(b)["rest_joints"])
    rot_a = gt.array(a, "local_rot").astype(float)
    for t in (0, 7):
        _, skin = forward_kinematics(ds.skeleton.parents, joints_b, rot_a[t])
        A = np.einsum("vj,jab->vab", rest["weights"].astype(float), skin)
        verts = np.einsum("vab,vb->va", A[:, :3, :3], rest["verts"].astype(float)) + A[:, :3, 3]
        m = _project_mask(apply_transform(view.obj2cam[t], verts), rest["faces"], view.intrinsics[t], 64)
        assert _iou(m, view.mask(t)) > 0.98
        assert _iou(view.mask(t), ds.videos[0].load_mask(t)) < 0.95  # a different body


def test_rest_meshes_are_closed_and_outward(tiny_quad):
    import trimesh

    gt = GroundTruth(tiny_quad)
    for name in gt.info["videos"]:
        r = gt.rest_mesh(name)
        m = trimesh.Trimesh(r["verts"], r["faces"], process=False)
        assert m.is_watertight and m.volume > 0
        np.testing.assert_allclose(r["weights"].sum(1), 1.0, atol=1e-5)


def test_bone_lengths_vary_between_individuals_and_are_symmetric(tiny_quad):
    ds, gt = load_dataset(tiny_quad), GroundTruth(tiny_quad)
    sk = ds.skeleton
    L = np.array([gt.body(n)["bone_lengths"] for n in gt.info["videos"]])
    assert np.abs(L[0] / L[1] - 1).max() > 0.05
    mirror = sk.symmetry[sk.bone_children] - 1
    np.testing.assert_allclose(L[:, mirror], L, rtol=1e-5)


def test_same_seed_gives_byte_identical_output(tmp_path):
    kw = dict(category="human", videos=1, frames=6, res=32, transfer_pairs=0, heldout_views=1, name="same")
    a = _synth(tmp_path / "a", seed=7, **kw)
    b = _synth(tmp_path / "b", seed=7, **kw)
    c = _synth(tmp_path / "c", seed=8, **kw)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(a, b, [str(f) for f in files], shallow=False)
    assert not mismatch and not errors
    _, mismatch_c, _ = filecmp.cmpfiles(a, c, [str(f) for f in files], shallow=False)
    assert any("images" in m for m in mismatch_c)


def test_videos_rendered_in_parallel_are_byte_identical_to_one_process(tmp_path):
    """``herd synth --workers N``: each video draws from its own stream and is written by one
    process, so the files do not depend on how many processes wrote them."""
    kw = dict(category="quad", videos=3, frames=(4, 9), res=24, transfer_pairs=2, heldout_views=1, seed=5, name="par")
    one = _synth(tmp_path / "one", workers=1, **kw)
    two = _synth(tmp_path / "two", workers=2, **kw)
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert len([f for f in files if f.parts[0] == "v002" and "images" in f.parts]) >= 4  # every video was written
    assert len({f.parts[2] for f in files if f.parts[:2] == ("gt", "transfer")}) == 2
    match, mismatch, errors = filecmp.cmpfiles(one, two, [str(f) for f in files], shallow=False)
    assert not mismatch and not errors and len(match) == len(files)


def test_frame_ranges_vary_per_video_and_by_seed_only(tmp_path):
    """``--frames LO:HI``: each video's length is drawn within the range from its own stream, so it
    does not depend on how many videos there are, and a fixed length is exactly that length."""
    from herd.cli.main import main as herd_main
    from herd.synth.generate import SynthConfig, video_frames

    cfg = SynthConfig(out=tmp_path / "x", frames=(8, 40), videos=12, seed=3)
    lengths = [video_frames(cfg, i) for i in range(12)]
    assert all(8 <= n <= 40 for n in lengths) and len(set(lengths)) > 3
    assert video_frames(SynthConfig(out=tmp_path / "y", frames=(8, 40), videos=2, seed=3), 1) == lengths[1]
    assert video_frames(SynthConfig(out=tmp_path / "z", frames=17), 5) == 17
    out = tmp_path / "range"
    assert (
        herd_main(
            [
                "synth",
                "--videos",
                "2",
                "--frames",
                "4:9",
                "--res",
                "24",
                "--seed",
                "3",
                "--heldout_views",
                "0",
                "--transfer_pairs",
                "1",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    ds = load_dataset(out)
    assert [v.num_frames for v in ds.videos] == [
        video_frames(SynthConfig(out=out, frames=(4, 9), seed=3), i) for i in (0, 1)
    ]
    assert herd_main(["synth", "--frames", "9:4", "--out", str(tmp_path / "bad")]) == 2


@pytest.mark.skipif(not FOX.exists(), reason="shared Fox asset missing")
def test_fox_asset_renders_non_empty_masks_in_every_frame(tmp_path):
    out = _synth(tmp_path / "fox", asset=FOX, videos=2, frames=8, res=48, seed=1, transfer_pairs=1)
    ds = load_dataset(out)
    assert ds.skeleton is not None and ds.skeleton.num_joints == 24
    for v in ds.videos:
        masks = v.load_masks()
        assert masks.any(axis=(1, 2)).all()
        assert 0.02 < masks.mean() < 0.8
    gt = GroundTruth(out)
    assert len(gt.heldout("v000")) == 2 and gt.transfer(gt.transfer_pairs()[0]["name"]).mask(0).any()


def test_cli_synth_and_info_json(tmp_path):
    out = tmp_path / "cli"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "herd",
            "synth",
            "--category",
            "quad",
            "--videos",
            "1",
            "--frames",
            "4",
            "--res",
            "32",
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stderr
    p = subprocess.run([sys.executable, "-m", "herd", "info", str(out), "--json"], capture_output=True, text=True)
    info = json.loads(p.stdout)
    assert info["total_frames"] == 4 and info["ground_truth"] and info["cues"]["keypoints"]
    p = subprocess.run([sys.executable, "-m", "herd", "synth", "--out", str(out)], capture_output=True, text=True)
    assert p.returncode == 2 and "already exists" in p.stderr
    p = subprocess.run(
        [sys.executable, "-m", "herd", "synth", "--out", str(out), "--videoz", "3"], capture_output=True, text=True
    )
    assert p.returncode == 2 and "--videoz" in p.stderr and len(p.stderr.strip().splitlines()) == 1
