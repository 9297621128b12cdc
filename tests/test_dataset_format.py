"""Dataset format v1: round trip through the writer and reader, and every bad-input case."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from herd.data import format as fmt
from herd.data.reader import load_dataset
from herd.data.skeletons import QUAD
from herd.data.writer import DatasetWriter
from herd.errors import HerdInputError


def _write_small(out: Path, F=5, H=20, W=24, empty_frame=None) -> dict:
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, size=(F, H, W, 3), dtype=np.uint8)
    masks = np.zeros((F, H, W), bool)
    masks[:, 5:15, 6:18] = True
    detected = np.ones(F, bool)
    if empty_frame is not None:
        masks[empty_frame] = False
        detected[empty_frame] = False
    flows = {g: rng.normal(size=(F - g, H, W, 3)).astype(np.float16) for g in fmt.FLOW_GAPS if g < F}
    K = np.array([30.0, 30.0, W / 2, H / 2])
    init = np.tile(np.eye(4), (F, 1, 1))
    kps = rng.uniform(0, 20, size=(F, 3, 3)).astype(np.float32)
    with DatasetWriter(out, name="small", category="quad", skeleton=QUAD) as w:
        v = w.video("clip")
        for i in range(F):
            v.write_frame(i, rgb[i], masks[i])
        for g, fl in flows.items():
            v.write_flow("fw", g, fl)
            v.write_flow("bw", g, -fl)
        v.finish(
            intrinsics=K,
            detected=detected,
            frame_indices=np.arange(F) * 2,
            init_obj2cam=init,
            keypoints=kps,
            keypoint_names=["pelvis", "head", "tail3"],
            keypoint_sigma_px=0.0,
            flow_sigma_px=0.5,
        )
    return dict(rgb=rgb, masks=masks, flows=flows, K=K, kps=kps)


def test_round_trip(tmp_path):
    ref = _write_small(tmp_path / "ds", empty_frame=2)
    ds = load_dataset(tmp_path / "ds")
    assert ds.skeleton == QUAD and ds.category == "quad" and len(ds.videos) == 1
    v = ds.videos[0]
    np.testing.assert_array_equal(v.load_frames(), ref["rgb"])
    np.testing.assert_array_equal(v.load_masks(), ref["masks"])
    np.testing.assert_array_equal(v.detected, [True, True, False, True, True])
    np.testing.assert_array_equal(v.frame_indices, [0, 2, 4, 6, 8])
    np.testing.assert_array_equal(v.intrinsics, np.tile(ref["K"], (5, 1)))
    np.testing.assert_array_equal(v.load_flow("fw", 2), ref["flows"][2])
    np.testing.assert_array_equal(v.keypoints, ref["kps"])
    assert v.flow_gaps == (1, 2, 4) and v.keypoint_names == ["pelvis", "head", "tail3"]
    assert v.keypoint_sigma_px == 0.0 and v.flow_sigma_px == 0.5
    assert not (tmp_path / "ds.partial").exists()


def _break(root: Path, case: str) -> str:
    """Damage a dataset; return a fragment the error message must contain."""
    v = root / "clip"
    if case == "no_manifest":
        (root / fmt.MANIFEST).unlink()
        return "manifest.json"
    if case == "unknown_version":
        m = json.loads((root / fmt.MANIFEST).read_text())
        m["version"] = 99
        (root / fmt.MANIFEST).write_text(json.dumps(m))
        return "unknown dataset version 99"
    if case == "missing_frame":
        (v / "images" / "00003.png").unlink()
        return "images"
    if case == "mask_count":
        (v / "masks" / "00004.png").unlink()
        return "4 masks for 5 frames"
    if case == "wrong_size":
        Image.new("RGB", (30, 20)).save(v / "images" / "00001.png")
        return "00001.png"
    if case == "corrupt_image":
        (v / "images" / "00002.png").write_bytes(b"not a png at all")
        return "00002.png"
    if case == "empty_detected_mask":
        Image.new("L", (24, 20)).save(v / "masks" / "00001.png")
        return "mask is empty"
    if case == "flow_shape":
        np.save(v / "flow" / "fw_1.npy", np.zeros((2, 20, 24, 3), np.float16))
        return "fw_1.npy"
    if case == "missing_video":
        shutil.rmtree(v)
        return "clip"
    if case == "unknown_skeleton":
        m = json.loads((root / fmt.MANIFEST).read_text())
        m["skeleton"] = "octopus"
        (root / fmt.MANIFEST).write_text(json.dumps(m))
        return "octopus"
    if case == "bad_keypoint_names":
        j = json.loads((v / fmt.VIDEO_JSON).read_text())
        j["keypoint_names"] = ["pelvis", "head", "wing"]
        (v / fmt.VIDEO_JSON).write_text(json.dumps(j))
        return "wing"
    if case == "bad_keypoint_sigma":
        j = json.loads((v / fmt.VIDEO_JSON).read_text())
        j["keypoint_sigma_px"] = -1
        (v / fmt.VIDEO_JSON).write_text(json.dumps(j))
        return "keypoint_sigma_px"
    if case == "bad_flow_sigma":
        j = json.loads((v / fmt.VIDEO_JSON).read_text())
        j["flow_sigma_px"] = "exact"
        (v / fmt.VIDEO_JSON).write_text(json.dumps(j))
        return "flow_sigma_px"
    raise AssertionError(case)


CASES = [
    "no_manifest",
    "unknown_version",
    "missing_frame",
    "mask_count",
    "wrong_size",
    "corrupt_image",
    "empty_detected_mask",
    "flow_shape",
    "missing_video",
    "unknown_skeleton",
    "bad_keypoint_names",
    "bad_keypoint_sigma",
    "bad_flow_sigma",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_dataset_is_rejected_with_one_line(tmp_path, case):
    _write_small(tmp_path / "ds")
    fragment = _break(tmp_path / "ds", case)
    with pytest.raises(HerdInputError) as e:
        ds = load_dataset(tmp_path / "ds")
        for v in ds.videos:  # decoding errors surface when frames are read
            v.load_frames()
            v.load_masks()
    msg = str(e.value)
    assert fragment in msg and "\n" not in msg


@pytest.mark.parametrize("case", ["unknown_version", "mask_count"])
def test_cli_exit_code_2_and_one_line(tmp_path, case):
    _write_small(tmp_path / "ds")
    _break(tmp_path / "ds", case)
    p = subprocess.run([sys.executable, "-m", "herd", "info", str(tmp_path / "ds")], capture_output=True, text=True)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path / "ds") in lines[0], p.stderr


def test_palette_and_01_masks_are_read(tmp_path):
    _write_small(tmp_path / "ds")
    v = tmp_path / "ds" / "clip" / "masks"
    m = np.zeros((20, 24), np.uint8)
    m[2:9, 3:10] = 1
    Image.fromarray(m).save(v / "00000.png")  # 0/1 greyscale
    pal = Image.fromarray(m * 3, mode="L").convert("P")
    pal.save(v / "00001.png")  # palette, index 3 = object
    ds = load_dataset(tmp_path / "ds")
    assert ds.videos[0].load_mask(0).sum() == 49 and ds.videos[0].load_mask(1).sum() == 49


def test_writer_leaves_no_complete_looking_folder_on_error(tmp_path):
    with pytest.raises(RuntimeError):
        with DatasetWriter(tmp_path / "ds", name="x", category="quad", skeleton=QUAD) as w:
            w.video("a")
            raise RuntimeError("interrupted")
    assert not (tmp_path / "ds").exists()
