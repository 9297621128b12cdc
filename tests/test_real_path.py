"""The real path measured against ground truth: a synthetic category's images and masks through
``herd preprocess``, its ground truth followed back to the synthetic frames, and scored."""

import json
import shutil

import numpy as np
import pytest

from herd.cli.main import main as herd_main
from herd.data.reader import load_dataset
from herd.errors import HerdInputError
from herd.evaluation.truth import link_truth
from herd.geometry.raster import rasterize


@pytest.fixture(scope="module")
def synth_and_real(tmp_path_factory):
    """Two quadrupeds x 12 frames at 64 px, and their images and masks through herd preprocess;
    frame 5 of v000 is a copy of frame 4, so the motion filter skips it."""
    root = tmp_path_factory.mktemp("real")
    synth = root / "synth"
    assert (
        herd_main(
            [
                "synth",
                "--category",
                "quad",
                "--videos",
                "2",
                "--frames",
                "12",
                "--res",
                "64",
                "--seed",
                "5",
                "--heldout_views",
                "1",
                "--transfer_pairs",
                "1",
                "--out",
                str(synth),
                "--quiet",
            ]
        )
        == 0
    )
    for sub in ("images", "masks"):
        shutil.copy(synth / "v000" / sub / "00004.png", synth / "v000" / sub / "00005.png")
    real = root / "real"
    assert (
        herd_main(
            [
                "preprocess",
                "--input",
                str(synth / "v000" / "images"),
                str(synth / "v001" / "images"),
                "--masks",
                str(synth / "v000" / "masks"),
                str(synth / "v001" / "masks"),
                "--category",
                "quad",
                "--res",
                "48",
                "--out",
                str(real),
                "--quiet",
            ]
        )
        == 0
    )
    return synth, real


def test_preprocess_records_the_ground_truth_and_frames_map_back(synth_and_real):
    synth, real = synth_and_real
    ds = load_dataset(real)
    assert ds.videos[0].ground_truth["video"] == "v000" and ds.videos[1].ground_truth["video"] == "v001"
    truth = link_truth(ds)
    assert truth.gt.root == synth.resolve() / "gt"
    v0 = truth.videos[0]
    assert 5 not in v0.frames and list(v0.frames) == list(ds.videos[0].frame_indices)
    true_f = np.load(synth / "v000" / "intrinsics.npy")[0, 0]
    assert v0.focal_ratio == pytest.approx(true_f / 64, rel=1e-3)  # the assumed focal length: the image side
    # the true posed mesh seen through the run's cameras: every point's depth divided by the focal
    # ratio falls on the pixel it falls on in the true camera; projected with the crop's intrinsics
    # it covers the preprocessed masks of the very frames frame_indices names (frame 5 skipped)
    video = ds.videos[0]
    verts, obj2cam = v0.array("posed_verts_cam"), v0.array("obj2cam")
    faces = v0.gt.rest_mesh("v000")["faces"]
    ious = []
    for j in range(video.num_frames):
        r = rasterize(verts[j] / [1, 1, v0.focal_ratio], faces, video.intrinsics[j], video.height, video.width)
        m = video.load_mask(j)
        ious.append((r.mask & m).sum() / (r.mask | m).sum())
    assert min(ious) > 0.88, np.round(ious, 3)
    # a model under the assumed focal length keeps its shape: only its depth moves
    model_obj2cam = obj2cam.copy()
    model_obj2cam[:, 2, 3] /= v0.focal_ratio
    model_verts = verts.copy()
    model_verts[..., 2] += (1 / v0.focal_ratio - 1) * obj2cam[:, None, 2, 3]
    assert np.allclose(v0.points_to_true_camera(model_verts, model_obj2cam), verts, atol=1e-5)
    assert np.allclose(v0.to_true_camera(model_obj2cam), obj2cam)


def test_ground_truth_by_hand_matches_videos_by_name(synth_and_real, tmp_path):
    synth, real = synth_and_real
    copy = tmp_path / "copy"
    shutil.copytree(real, copy)
    for v in ("v000", "v001"):
        vj = copy / v / "video.json"
        info = json.loads(vj.read_text())
        del info["ground_truth"]
        vj.write_text(json.dumps(info))
    ds = load_dataset(copy)
    assert link_truth(ds) is None  # real videos: no ground truth anywhere
    truth = link_truth(ds, synth)
    assert [v.name for v in truth.videos] == ["v000", "v001"] and 5 not in truth.videos[0].frames
    (copy / "v001").rename(copy / "other")
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["videos"] = ["v000", "other"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(HerdInputError, match="has no video 'other'"):
        link_truth(load_dataset(copy), synth)


def test_eval_scores_a_preprocessed_run_against_the_synthetic_truth(synth_and_real, tmp_path):
    _, real = synth_and_real
    logroot = tmp_path / "logs"
    assert (
        herd_main(
            [
                "train",
                "--seqname",
                str(real),
                "--logname",
                "t",
                "--logroot",
                str(logroot),
                "--fg_motion",
                "comp_skel-quad_dense",
                "--nosingle_inst",
                "--num_rounds",
                "1",
                "--iters_per_round",
                "40",
                "--train_res",
                "32",
                "--num_rays",
                "1024",
                "--frames_per_step",
                "8",
                "--quiet",
            ]
        )
        == 0
    )
    flag = f"--flagfile={logroot / 'real-t' / 'opts.log'}"
    assert herd_main(["eval", flag, "--stride", "4", "--grid_size", "32", "--points", "500", "--quiet"]) == 0
    result = json.loads((logroot / "real-t" / "eval" / "metrics.json").read_text())
    m = result["metrics"]
    for key in (
        "heldout_mask_iou",
        "chamfer_cm",
        "fscore_2pct",
        "fscore_10pct",
        "seq_chamfer_cm",
        "seq_fscore_5cm",
        "joint_error",
        "bone_length_r",
        "transfer_mask_iou",
    ):
        assert key in m and np.isfinite(m[key]["mean"]), key
    assert 0 <= m["heldout_mask_iou"]["mean"] <= 1 and m["chamfer_cm"]["mean"] > 0
    info = result["info"]
    assert info["ground_truth_videos"] == ["v000", "v001"] and info["geometry_protocol"]["version"] == 2
    assert herd_main(["eval", flag, "--gt", str(real), "--quiet"]) == 2  # not a herd synth dataset
