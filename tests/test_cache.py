"""The training cache is published in one rename, and a finished cache is never replaced."""

import json

from herd.data.cache import _publish


def _finished(path, tag):
    path.mkdir(parents=True)
    (path / "data.npy").write_text(tag)
    (path / "meta.json").write_text(json.dumps({"tag": tag}))
    return path


def test_first_finished_cache_wins_and_later_copies_are_dropped(tmp_path):
    """Two runs sharing a logroot build the same cache at once: the second to finish must not
    delete the first one's, which a running process may have open."""
    out = tmp_path / "quad-r96-abc"
    assert _publish(_finished(tmp_path / "quad-r96-abc.partial1", "first"), out) == out
    assert (out / "data.npy").read_text() == "first"
    late = _finished(tmp_path / "quad-r96-abc.partial2", "second")
    assert _publish(late, out) == out
    assert (out / "data.npy").read_text() == "first" and not late.exists()


def test_a_broken_leftover_is_replaced(tmp_path):
    out = tmp_path / "quad-r96-abc"
    out.mkdir()
    (out / "rgb.npy").write_text("half written")  # no meta.json: never finished
    _publish(_finished(tmp_path / "quad-r96-abc.partial1", "new"), out)
    assert (out / "data.npy").read_text() == "new" and not (out / "rgb.npy").exists()


def test_videos_converted_side_by_side_give_the_same_cache_byte_for_byte(tiny_quad, tmp_path):
    """The cache of a many-video dataset is built by several threads, each writing its own videos'
    rows: every file is identical to a one-thread build, whatever the number of threads."""
    from herd.data.cache import build_cache
    from herd.data.reader import load_dataset

    ds = load_dataset(tiny_quad)
    assert len(ds.videos) > 1
    one = build_cache(ds, 32, tmp_path / "one", progress=False, workers=1)
    many = build_cache(ds, 32, tmp_path / "many", progress=False, workers=3)
    files = sorted(p.name for p in one.iterdir())
    assert files == sorted(p.name for p in many.iterdir()) and {"rgb.npy", "fw_1.npy", "keypoints.npy"} <= set(files)
    for name in files:
        assert (one / name).read_bytes() == (many / name).read_bytes(), name
