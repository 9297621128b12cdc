"""What herd guarantees with other people's files and the user's own (docs/guarantees.md): safe
checkpoint loading, folders it replaces, the run lock, signals, atomic outputs, option ranges and
progress. Every test works on tiny data and takes seconds."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import _synth

from herd.model.model import ModelConfig
from herd.run.options import TrainConfig
from herd.train.trainer import Trainer

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """One quadruped, 6 frames at 32 px."""
    return _synth(
        tmp_path_factory.mktemp("guarantees") / "clip",
        category="quad",
        videos=1,
        frames=6,
        res=32,
        seed=2,
        heldout_views=0,
        transfer_pairs=0,
    )


@pytest.fixture(autouse=True)
def _keep_torch_threads():
    """The trainings here run on one thread (the same in this process and in the subprocesses, so
    their parameters compare bit for bit); the tests after them get the count back."""
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def _opts(clip, logroot, **kw) -> TrainConfig:
    base = dict(
        seqname=str(clip),
        logname="g",
        logroot=str(logroot),
        num_rounds=1,
        iters_per_round=2,
        num_rays=128,
        frames_per_step=2,
        num_samples=8,
        quiet=True,
        warmup_iters=2,
        seed=1,
        threads=1,
    )
    base.update(kw)
    return TrainConfig(**base)


def _flags(o: TrainConfig) -> list[str]:
    return [
        f"--seqname={o.seqname}",
        f"--logname={o.logname}",
        f"--logroot={o.logroot}",
        f"--num_rounds={o.num_rounds}",
        f"--iters_per_round={o.iters_per_round}",
        f"--num_rays={o.num_rays}",
        f"--frames_per_step={o.frames_per_step}",
        f"--num_samples={o.num_samples}",
        "--quiet",
        f"--warmup_iters={o.warmup_iters}",
        f"--seed={o.seed}",
        f"--threads={o.threads}",
    ]


def herd(*args, cwd=None, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "herd", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
        **kw,
    )


def one_line_error(p: subprocess.CompletedProcess, *needles: str) -> None:
    """Exit code 2 and a single line on stderr that holds every needle."""
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2 and len(lines) == 1, (p.returncode, p.stderr[-3000:])
    for n in needles:
        assert n in lines[0], (n, lines[0])


class _Payload:
    """Pickled into a checkpoint: loading it with pickle would create the sentinel file."""

    sentinel: Path

    def __reduce__(self):
        return (Path.touch, (self.sentinel,))


@pytest.fixture(scope="module")
def trained(clip, tmp_path_factory) -> TrainConfig:
    """A run trained for two steps."""
    o = _opts(clip, tmp_path_factory.mktemp("runs"), logname="trained")
    Trainer(o, ModelConfig()).run()
    return o


# ---- 1. safe loading ------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["truncated", "crafted"])
def test_a_torn_or_crafted_checkpoint_is_refused_in_one_line_naming_it(trained, tmp_path, damage):
    import shutil

    from herd.run.folders import run_path

    src = run_path(trained.seqname, trained.logname, trained.logroot)
    run = tmp_path / src.name
    shutil.copytree(src, run)
    ck = run / "ckpt_latest.pth"
    sentinel = tmp_path / "pwned"
    if damage == "truncated":
        ck.write_bytes(ck.read_bytes()[: ck.stat().st_size // 2])
    else:
        payload = _Payload()
        payload.sentinel = sentinel
        torch.save({"format": "herd-checkpoint-2", "step": 1, "model": {}, "evil": payload}, ck)
    flagfile = run / "opts.log"
    flagfile.write_text(flagfile.read_text().replace(f"--logroot={trained.logroot}", f"--logroot={tmp_path}"))
    for cmd in (
        ["info", run],
        ["report", run],
        ["train", f"--flagfile={flagfile}", "--load_suffix=latest"],
        ["render", f"--flagfile={flagfile}", "--render_res=8"],
    ):
        one_line_error(herd(*cmd, cwd=tmp_path), str(ck))
    assert not sentinel.exists()


# ---- 2. folders herd replaces, and folders it cannot write -----------------------------------------
def _synth_flags(out: Path) -> list:
    return [
        "synth",
        "--out",
        out,
        "--videos=1",
        "--frames=2",
        "--res=16",
        "--heldout_views=0",
        "--transfer_pairs=0",
        "--quiet",
    ]


def test_overwrite_replaces_only_a_herd_dataset_or_an_empty_folder(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.txt").write_text("years of work")
    one_line_error(herd(*_synth_flags(victim), "--overwrite"), str(victim), "--overwrite")
    one_line_error(
        herd(
            "preprocess", "--input", tmp_path / "clip.mp4", "--category=quad", "--out", victim, "--overwrite", "--quiet"
        ),
        str(victim),
        "--overwrite",
    )
    assert (victim / "thesis.txt").read_text() == "years of work" and len(list(tmp_path.iterdir())) == 1
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    one_line_error(herd(*_synth_flags(a_file), "--overwrite"), str(a_file))
    assert a_file.read_text() == "mine"
    empty = tmp_path / "empty"
    empty.mkdir()
    for _ in range(2):  # an empty folder, then the herd dataset made there, are replaced
        p = herd(*_synth_flags(empty), "--overwrite")
        assert p.returncode == 0 and (empty / "manifest.json").is_file(), p.stderr[-2000:]


@contextlib.contextmanager
def read_only(folder: Path):
    """``folder`` made unwritable for the test's user: mode 555, and for root (who writes through
    modes) the immutable attribute."""
    folder.chmod(0o555)
    immutable = os.geteuid() == 0
    if immutable and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        folder.chmod(0o755)
        pytest.skip("root, and chattr +i is not supported here: no way to make a folder unwritable")
    try:
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_output_folders_are_checked_for_writability_before_any_work(clip, tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    one_line_error(herd(*_synth_flags(a_file / "ds")), "--out", str(a_file))
    one_line_error(
        herd("preprocess", "--input", clip / "v000" / "images", "--category=quad", "--out", a_file / "ds", "--quiet"),
        "--out",
        str(a_file),
    )
    one_line_error(herd("train", *_flags(_opts(clip, a_file / "logdir"))), "--logroot", str(a_file))
    ro = tmp_path / "read-only"
    ro.mkdir()
    with read_only(ro):
        one_line_error(herd(*_synth_flags(ro / "ds")), "--out", str(ro), "writable")
        one_line_error(
            herd("preprocess", "--input", clip / "v000" / "images", "--category=quad", "--out", ro / "ds", "--quiet"),
            "--out",
            str(ro),
            "writable",
        )
        one_line_error(herd("train", *_flags(_opts(clip, ro / "logdir"))), "--logroot", str(ro), "writable")
        assert list(ro.iterdir()) == []


# ---- 3. one training per run folder ----------------------------------------------------------------
def _start_training(o: TrainConfig, *extra) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "herd", "train", *_flags(o), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    import time

    t0 = time.time()
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.time() - t0 < timeout, f"{path} did not appear"
        time.sleep(0.05)


def test_a_second_training_of_a_run_exits_naming_the_first_and_a_dead_ones_lock_is_taken_over(clip, tmp_path):
    from herd.run.folders import run_path

    o = _opts(clip, tmp_path / "logdir", iters_per_round=100000)
    run = run_path(o.seqname, o.logname, o.logroot)
    first = _start_training(o)
    try:
        _wait_for(run / "opts.log", first)  # training has started
        one_line_error(herd("train", *_flags(_opts(clip, tmp_path / "logdir"))), str(run), f"process {first.pid}")
        assert first.poll() is None
    finally:
        first.kill()  # kill -9: the lock of a dead process must not block the run
        first.communicate()
    p = herd("train", *_flags(_opts(clip, tmp_path / "logdir")))
    assert p.returncode == 0, p.stderr[-3000:]


# ---- 5. atomic checkpoints and GLBs ----------------------------------------------------------------
def _cut_short(monkeypatch, owner, name: str, path_arg: int):
    """Make ``owner.name`` die half-way through writing its file (as a kill would)."""
    real = getattr(owner, name)

    def write_half_and_die(*args, **kw):
        real(*args, **kw)
        path = Path(args[path_arg] if len(args) > path_arg else kw.get("file_obj"))
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(owner, name, write_half_and_die)


def test_a_write_cut_short_or_failing_before_its_rename_leaves_no_torn_file(clip, tmp_path, monkeypatch):
    import trimesh

    t = Trainer(_opts(clip, tmp_path, num_rounds=2, iters_per_round=1), ModelConfig())
    t.run()
    run = t.run_dir
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.suffix in (".pth", ".glb")}
    assert {"ckpt_latest.pth", "ckpt_0002.pth", "002-proxy.glb", "002-bones.glb"} <= set(before)
    t.step = 3  # the next round's files
    with monkeypatch.context() as m:
        _cut_short(m, torch, "save", 1)
        with pytest.raises(KeyboardInterrupt):
            t.save(numbered=True)
    with monkeypatch.context() as m:
        _cut_short(m, trimesh.Scene, "export", 1)
        with pytest.raises(KeyboardInterrupt):
            t._write_glbs(3)
    calls = []
    with monkeypatch.context() as m:  # flushed to disk, then a failure between the write and the rename
        real_fsync = os.fsync
        m.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd)))

        def fail(src, dst):
            calls.append("replace")
            raise OSError(28, "No space left on device")

        m.setattr(os, "replace", fail)
        with pytest.raises(OSError):
            t.save(numbered=True)
        with pytest.raises(OSError):
            t._write_glbs(3)
    assert calls[:2] == ["fsync", "replace"], calls
    after = {p.name: p.read_bytes() for p in run.iterdir() if p.suffix in (".pth", ".glb", ".tmp")}
    assert after == before  # no ckpt_0003.pth, no 003-*.glb, no temporary left, the latest intact


# ---- 7. progress before the first checkpoint ---------------------------------------------------------
def test_info_shows_step_rate_and_eta_as_soon_as_training_starts(clip, tmp_path):
    import json
    import time

    from herd.run.folders import run_path

    o = _opts(clip, tmp_path / "logdir", iters_per_round=100000)
    run = run_path(o.seqname, o.logname, o.logroot)
    proc = _start_training(o)
    try:
        _wait_for(run / "opts.log", proc)
        t0, s = time.time(), {}
        while not s.get("step"):  # a few steps in, long before the first round's checkpoint
            assert time.time() - t0 < 60, "no step reported by herd info within 60 s"
            time.sleep(0.2)
            p = herd("info", run, "--json")
            s = json.loads(p.stdout) if p.returncode == 0 else {}
        assert not (run / "ckpt_latest.pth").exists()
        progress = s["progress"]
        assert progress["total_steps"] == 100000 and progress["steps_per_second"] > 0
        assert progress["eta_seconds"] > 0 and progress["pid"] == proc.pid
        text = herd("info", run).stdout
        assert "steps/s" in text and "ETA" in text, text
    finally:
        proc.kill()
        proc.communicate()


# ---- 4. SIGINT and SIGTERM -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def straight_run(clip, tmp_path_factory) -> dict:
    """The parameters after 40 uninterrupted steps."""
    t = Trainer(_opts(clip, tmp_path_factory.mktemp("straight"), logname="straight", iters_per_round=40), ModelConfig())
    t.run()
    return t.model.state_dict()


@pytest.mark.parametrize("sig, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_mid_round_stops_at_a_step_boundary_and_resumes_bit_exactly(clip, tmp_path, straight_run, sig, code):
    import signal
    import time

    from herd.run.folders import run_path
    from herd.run.progress import read_progress

    o = _opts(clip, tmp_path / "logdir", logname="cut", iters_per_round=40)
    run = run_path(o.seqname, o.logname, o.logroot)
    proc = _start_training(o)
    t0 = time.time()
    while (read_progress(run) or {}).get("step", 0) < 5:  # a few steps into the round
        assert proc.poll() is None and time.time() - t0 < 120, proc.communicate()[1][-3000:]
        time.sleep(0.02)
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err[-3000:]
    stopped = torch.load(run / "ckpt_latest.pth", weights_only=True)["step"]
    assert 5 <= stopped < 40 and not (run / "ckpt_0001.pth").exists(), stopped  # mid-round
    p = herd("train", f"--flagfile={run / 'opts.log'}", "--load_suffix=latest")
    assert p.returncode == 0, p.stderr[-3000:]
    resumed = torch.load(run / "ckpt_latest.pth", weights_only=True)
    assert resumed["step"] == 40 and resumed["model"].keys() == straight_run.keys()
    assert all(torch.equal(resumed["model"][k], v) for k, v in straight_run.items()), [
        k for k, v in straight_run.items() if not torch.equal(resumed["model"][k], v)
    ][:5]


# ---- 6. option ranges ----------------------------------------------------------------------------
def _cli(argv: list, capsys) -> tuple[int, str]:
    """``herd ARGV`` in this process: (exit code, stderr)."""
    from herd.cli.main import main

    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "bad",
    [
        "--num_rounds=-1",
        "--iters_per_round=-2",
        "--num_samples=0",
        "--learning_rate=nan",
        "--frames_per_step=0",
        "--train_res=-1",
        "--num_rays=0",
        "--grad_clip=inf",
        "--pose_prior_fade=2",
        "--hidden=0",
    ],
)
def test_a_training_option_out_of_range_is_one_line_with_the_allowed_range(clip, tmp_path, capsys, bad):
    flag = bad.split("=")[0]
    code, err = _cli(["train", *_flags(_opts(clip, tmp_path / "logdir")), bad], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and flag in err and "allowed" in err, (code, err)
    assert not (tmp_path / "logdir").exists()  # refused before any work


@pytest.mark.parametrize(
    "argv",
    [
        ["render", "--seqname=x", "--num_frames", "-3"],
        ["render", "--seqname=x", "--fps=0"],
        ["export", "--seqname=x", "--grid_size=2"],
        ["export", "--seqname=x", "--max_faces=5"],
        ["export", "--seqname=x", "--grid_size=2048"],
        ["reanimate", "--seqname=x", "--motion_id=-1"],
        ["eval", "--seqname=x", "--stride=0"],
        ["synth", "--out=x", "--fps=0"],
        ["synth", "--out=x", "--videos=0"],
        ["preprocess", "--input=a.mp4", "--category=quad", "--out=x", "--max_frames=-1"],
        ["preprocess", "--input=a.mp4", "--category=quad", "--out=x", "--workers=0"],
        ["report", "run", "--port=70000"],
        ["demo", "--seed=-1"],
    ],
)
def test_an_output_or_data_option_out_of_range_is_one_line_with_the_allowed_range(tmp_path, capsys, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    flag = next(a for a in argv[::-1] if a.startswith("--")).split("=")[0]
    code, err = _cli(argv, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and flag in err and "allowed" in err, (code, err)
    assert list(tmp_path.iterdir()) == []


def test_a_port_in_use_for_report_serve_is_one_line(trained, tmp_path):
    import socket

    from herd.run.folders import run_path

    run = run_path(trained.seqname, trained.logname, trained.logroot)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        one_line_error(herd("report", run, "--serve", f"--port={port}"), f"--port {port}", "in use")


# ---- 8. third-party native logging -----------------------------------------------------------------
NATIVE_LOG_MARKS = ("inference_feedback_manager", "TensorFlow Lite", "absl::InitializeLog")


@pytest.mark.skipif(
    not (REPO.parent / "shared" / "data" / "davis" / "dance-twirl").is_dir(), reason="needs ../shared/data/davis"
)
def test_mediapipe_native_log_lines_are_silenced_unless_verbose(tmp_path):
    pytest.importorskip("mediapipe")
    clip = REPO.parent / "shared" / "data" / "davis" / "dance-twirl"
    args = [
        "preprocess",
        "--input",
        clip / "JPEGImages",
        "--category=human",
        "--max_frames=8",
        "--res=48",
        "--pose=mediapipe",
        "--quiet",
    ]
    quiet = herd(*args, "--out", tmp_path / "quiet")  # mediapipe's masks and its pose landmarker
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert not [m for m in NATIVE_LOG_MARKS if m in quiet.stderr], quiet.stderr
    assert not re.search(r"^[IWEF]\d{4} \d\d:\d\d", quiet.stderr, re.M), quiet.stderr  # no glog/absl line at all
    verbose = herd(*args, "--verbose", "--out", tmp_path / "verbose")
    assert verbose.returncode == 0 and "inference_feedback_manager" in verbose.stderr, verbose.stderr[-3000:]


def test_the_native_log_filter_passes_everything_else_on(capfd):
    from herd.preprocess.native_logs import native_logs_filtered

    with native_logs_filtered():
        os.write(2, b"W0000 00:00:1796609697.124520   23920 inference_feedback_manager.cc:114] Feedback\n")
        os.write(2, b"a native error that is not a log line\n\rbar 1/2\rbar 2/2")
        print("herd's own message", file=sys.__stderr__, flush=True)  # Python writes through file descriptor 2
    err = capfd.readouterr().err
    assert "inference_feedback_manager" not in err
    assert "a native error that is not a log line\n" in err and "\rbar 1/2\r" in err and "bar 2/2" in err
    assert "herd's own message\n" in err


def test_progress_of_a_finished_or_stopped_training_says_so():
    """After the last step ``herd info`` says the training finished, not "ETA 0:00:00"; a record
    whose process is gone before the end says the training stopped and how to resume it."""
    import subprocess
    import time

    from herd.run.progress import describe_progress

    done = {
        "step": 300,
        "total_steps": 300,
        "steps_per_second": 3.0,
        "eta_seconds": 0.0,
        "pid": 1,
        "updated": time.time(),
    }
    assert describe_progress(done).startswith("finished at step 300") and "ETA" not in describe_progress(done)
    gone = subprocess.Popen(["true"])
    gone.wait()
    stopped = {**done, "step": 120, "eta_seconds": 60.0, "pid": gone.pid}
    text = describe_progress(stopped)
    assert text.startswith("stopped at step 120 of 300") and "--load_suffix latest" in text, text
    running = {**stopped, "pid": os.getpid()}
    assert "ETA 0:01:00" in describe_progress(running)
