"""The real-cue benchmark's runs: a stopped one resumes under its name instead of starting over."""

from pathlib import Path

import herd.bench.realcues as realcues


def test_a_stopped_benchmark_run_resumes_from_its_last_checkpoint(tmp_path, monkeypatch):
    calls: list[list[str]] = []
    monkeypatch.setattr("herd.cli.main.main", lambda argv: calls.append(argv) or 0)
    monkeypatch.setattr(realcues, "score_run", lambda run_dir: {"run": run_dir.name})
    data = tmp_path / "database" / "quad-6-s11-r256-real"

    first = realcues.train_and_score(data, "quad", 11, tmp_path, 300, 5.0, [], "bench")
    assert "--load_suffix" not in calls[-1] and "resumed" not in first
    run: Path = tmp_path / "logdir" / "quad-6-s11-r256-real-bench"
    run.mkdir(parents=True)
    (run / "ckpt_latest.pth").write_bytes(b"")  # what a stopped run leaves
    again = realcues.train_and_score(data, "quad", 11, tmp_path, 300, 5.0, ["--threads=1"], "bench")
    i = calls[-1].index("--load_suffix")
    assert calls[-1][i + 1] == "latest" and calls[-1][-1] == "--threads=1" and again["resumed"]
    other = realcues.train_and_score(data, "quad", 11, tmp_path, 300, 5.0, [], "other")
    assert "--load_suffix" not in calls[-1] and other["run"] == "quad-6-s11-r256-real-other"
