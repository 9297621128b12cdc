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
