"""herd.bench.prepared: benchmark datasets are reused only while the code that made them is the same."""


def test_the_real_cue_benchmark_preprocesses_again_when_preprocessing_changed(tmp_path):
    """A preprocessed dataset is reused only while the code and weights that wrote it are the same:
    a new cue network must not be scored on the old one's keypoints."""
    from herd.bench.prepared import is_current, mark_current, preprocess_fingerprint

    code = tmp_path / "preprocess"
    (code / "weights").mkdir(parents=True)
    (code / "cues.py").write_text("CAP = 1\n")
    (code / "weights" / "net.npz").write_bytes(b"\x00\x01")
    before = preprocess_fingerprint(code)
    assert preprocess_fingerprint(code) == before
    data = tmp_path / "quad-6-s11-r256-real"
    data.mkdir()
    (data / "manifest.json").write_text("{}")
    assert not is_current(data, before)  # no stamp: made by code of unknown age
    mark_current(data, before)
    assert is_current(data, before)
    (code / "weights" / "net.npz").write_bytes(b"\x00\x02")
    assert preprocess_fingerprint(code) != before
    (code / "weights" / "net.npz").write_bytes(b"\x00\x01")
    (code / "cues.py").write_text("CAP = 4\n")
    assert not is_current(data, preprocess_fingerprint(code))
