"""herd preprocess: DIS flow accuracy on a known shift, crops and intrinsics, DAVIS clips into
valid datasets, and clear errors on bad input."""

import shutil

import cv2
import numpy as np
import pytest
from conftest import DAVIS
from PIL import Image

from herd.cli.main import main as herd_main
from herd.data.reader import load_dataset
from herd.errors import HerdInputError
from herd.export.media import VideoWriter
from herd.preprocess.crop import (
    crop_intrinsics,
    crop_matrix,
    object_crops,
    raw_intrinsics,
)
from herd.preprocess.flow import flow_pair
from herd.preprocess.pipeline import PreprocessConfig, keep_moving_frames, preprocess


def _texture(h=160, w=200, seed=0):
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.random((h, w, 3)).astype(np.float32), (0, 0), 2.0)
    noise = (noise - noise.min()) / (noise.max() - noise.min())
    return (noise * 255).astype(np.uint8)


def test_dis_flow_recovers_a_known_subpixel_shift():
    a = _texture()
    shift = np.array([2.3, -1.6])
    M = np.array([[1, 0, shift[0]], [0, 1, shift[1]]], np.float32)
    b = cv2.warpAffine(a, M, (a.shape[1], a.shape[0]), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    fw, bw = flow_pair(a, b)
    inner = (slice(16, -16), slice(16, -16))
    epe = np.linalg.norm(fw[inner][..., :2] - shift, axis=-1)
    assert epe.mean() < 0.5, epe.mean()
    assert np.linalg.norm(bw[inner][..., :2] + shift, axis=-1).mean() < 0.5
    assert fw[inner][..., 2].mean() > 0.8  # consistent where nothing is occluded
    assert fw[:, -2:, 2].max() == 0  # leaving the image (shift +x) has no confidence


def test_crop_intrinsics_agree_with_the_crop():
    K = raw_intrinsics(854, 480)
    crop = np.array([300.5, 100.0, 220.0])
    Kc = crop_intrinsics(K, crop, 128)
    X = np.array([[0.2, -0.1, 3.0], [-0.4, 0.3, 2.0]])
    raw_px = np.stack([K[0] * X[:, 0] / X[:, 2] + K[2], K[1] * X[:, 1] / X[:, 2] + K[3]], 1)
    M = crop_matrix(crop, 128)
    via_crop = raw_px @ M[:, :2].T + M[:, 2]
    direct = np.stack([Kc[0] * X[:, 0] / X[:, 2] + Kc[2], Kc[1] * X[:, 1] / X[:, 2] + Kc[3]], 1)
    assert np.allclose(via_crop, direct)
    masks = np.zeros((5, 100, 120), bool)
    masks[:, 40:60, 50:90] = True
    masks[2] = False  # a frame without the object takes its neighbours' crop
    c = object_crops(masks, margin=0.2, smooth=0)
    assert np.allclose(c[2], c[1]) and np.isclose(c[0, 2], 40 * 1.4)
    assert np.allclose(c[0, :2] + c[0, 2] / 2, [70, 50])


def test_still_frames_are_skipped():
    a = _texture()
    frames = np.stack([a, a, np.roll(a, 3, axis=1), np.roll(a, 3, axis=1), np.roll(a, 6, axis=1)])
    masks = np.ones(frames.shape[:3], bool)
    assert keep_moving_frames(frames, masks, 0.5).tolist() == [0, 2, 4]
    assert keep_moving_frames(frames, masks, 0).tolist() == [0, 1, 2, 3, 4]


@pytest.fixture(scope="module")
def dog_clip(tmp_path_factory):
    """The DAVIS dog clip as a video file (first 14 frames) and its mask folder."""
    root = tmp_path_factory.mktemp("davis")
    video = root / "dog.mp4"
    w = VideoWriter(video, fps=24)
    for f in sorted((DAVIS / "dog" / "JPEGImages").glob("*.jpg"))[:14]:
        w.add(np.asarray(Image.open(f).convert("RGB")))
    w.close()
    return video, DAVIS / "dog" / "Annotations"


def test_davis_clips_become_a_valid_dataset(dog_clip, tmp_path, capsys):
    video, masks = dog_clip
    out = tmp_path / "quads"
    cfg = PreprocessConfig(
        inputs=[video, DAVIS / "libby" / "JPEGImages"],
        category="quad",
        out=out,
        masks=[masks, DAVIS / "libby" / "Annotations"],
        max_frames=12,
        res=64,
        progress=True,
    )
    preprocess(cfg)
    summary = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith(f"{out}: 24 input frames")]
    assert len(summary) == 1  # the time of each stage, per input frame
    for stage in ("read", "masks", "motion filter", "crop", "flow", "write"):
        assert f"{stage} " in summary[0] and "ms/frame" in summary[0]
    ds = load_dataset(out)
    assert [v.name for v in ds.videos] == ["dog", "libby"] and ds.skeleton.name == "quad"
    v = ds.videos[0]
    assert v.num_frames >= 8 and (v.height, v.width) == (64, 64)
    m = v.load_mask(0) > 0
    assert 0.1 < m.mean() < 0.8  # the crop follows the dog
    fw = v.load_flow("fw", 1)
    assert fw.shape == (v.num_frames - 1, 64, 64, 3) and np.isfinite(fw.astype(np.float32)).all()
    assert not (tmp_path / "quads.work").exists() and not (tmp_path / "quads.partial").exists()


def _expect_error(argv, capsys, *needles):
    try:
        code = herd_main(["preprocess", *argv])
    except SystemExit as e:  # argparse's own errors exit directly
        code = e.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and all(n in err for n in needles), err


def test_bad_inputs_fail_clearly_and_leave_nothing(dog_clip, tmp_path, capsys):
    video, masks = dog_clip
    out = tmp_path / "bad"
    few = tmp_path / "few_masks"
    few.mkdir()
    for f in sorted(masks.glob("*.png"))[:5]:
        shutil.copy(f, few)
    _expect_error(
        ["--input", str(video), "--category", "quad", "--out", str(out), "--masks", str(few)],
        capsys,
        "5 masks",
        "one mask per frame",
    )
    small = tmp_path / "small_masks"
    small.mkdir()
    for f in sorted(masks.glob("*.png"))[:14]:
        Image.open(f).resize((100, 60)).save(small / f.name)
    _expect_error(
        ["--input", str(video), "--category", "quad", "--out", str(out), "--masks", str(small)],
        capsys,
        "100x60",
        "must match",
    )
    empty = tmp_path / "empty_masks"
    empty.mkdir()
    for f in sorted(masks.glob("*.png"))[:14]:
        Image.fromarray(np.zeros((480, 854), np.uint8)).save(empty / f.name)
    _expect_error(
        ["--input", str(video), "--category", "quad", "--out", str(out), "--masks", str(empty)],
        capsys,
        "every mask is empty",
    )
    _expect_error(
        ["--input", str(video), "--category", "quad", "--out", str(out), "--masks", str(masks), "--max_frames", "5"],
        capsys,
        "at least 8",
    )
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    _expect_error(
        ["--input", str(broken), "--category", "quad", "--out", str(out), "--masks", str(masks)],
        capsys,
        "broken.mp4",
        "unreadable video",
    )
    _expect_error(["--input", str(video), "--category", "quad", "--out", str(out)], capsys, "--masks DIR")
    _expect_error(["--input", str(video), "--category", "cat", "--out", str(out)], capsys, "--category")
    assert not out.exists() and not (tmp_path / "bad.partial").exists()
    with pytest.raises(HerdInputError, match="2 folders for 1 inputs"):
        preprocess(PreprocessConfig(inputs=[video], category="quad", out=out, masks=[masks, masks], progress=False))
