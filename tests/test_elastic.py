"""Scale-out with torchrun: two nodes on this machine (c10d rendezvous) write one run that resumes; a
worker killed mid-run is restarted by torchrun (--max_restarts 1) and the run continues from its
last checkpoint to the end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import REPO, _synth

from herd.run.checkpoint import read_checkpoint
from herd.train.elastic import reseed_process, restart_count


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """One quadruped, 8 frames at 32 px."""
    return _synth(
        tmp_path_factory.mktemp("elastic") / "clip",
        category="quad",
        videos=1,
        frames=8,
        res=32,
        seed=2,
        heldout_views=0,
        transfer_pairs=0,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _node(clip: Path, logroot: Path, port: int, run_id: str, *train_flags: str, restarts: int = 0) -> subprocess.Popen:
    """One torchrun agent (a "node") of a two-node job on localhost, one worker."""
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nnodes",
        "2",
        "--nproc_per_node",
        "1",
        "--rdzv_backend",
        "c10d",
        "--rdzv_endpoint",
        f"localhost:{port}",
        "--rdzv_id",
        run_id,
        "--max_restarts",
        str(restarts),
        "--monitor_interval",
        "0.5",
        "-m",
        "herd",
        "train",
        f"--seqname={clip}",
        "--logname=nodes",
        f"--logroot={logroot}",
        "--num_rays=128",
        "--frames_per_step=4",
        "--num_samples=16",
        "--quiet",
        "--nosingle_inst",
        *train_flags,
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    if restarts:  # restarts of several nodes need a store of their own per restart (PyTorch issue 135712)
        env["TORCH_DISABLE_SHARE_RDZV_TCP_STORE"] = "1"
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _finish(nodes: list[subprocess.Popen], timeout: float = 600) -> list[tuple[int, str, str]]:
    out = []
    for p in nodes:
        try:
            o, e = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for q in nodes:
                q.kill()
            raise
        out.append((p.returncode, o, e))
    return out


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _rank_of(pid: int) -> int | None:
    try:
        env = dict(kv.split("=", 1) for kv in Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in kv)
    except OSError:
        return None
    return int(env["RANK"]) if "RANK" in env else None


@pytest.mark.slow
def test_two_nodes_on_localhost_write_one_run_that_resumes(clip, tmp_path):
    logroot = tmp_path / "logdir"
    port = _free_port()
    results = _finish([_node(clip, logroot, port, "smoke", "--num_rounds=2", "--iters_per_round=5") for _ in range(2)])
    for code, out, err in results:
        assert code == 0, err[-3000:]
    runs = [p for p in logroot.iterdir() if not p.name.startswith(".")]
    assert [p.name for p in runs] == ["clip-nodes"]  # one run, written by the first process only
    ck = read_checkpoint(runs[0] / "ckpt_latest.pth")
    assert ck["step"] == 10 and [h["round"] for h in ck["history"]] == [1, 2]
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    # --num_rays is the step's total over both nodes: each drew half of it
    assert [e.value for e in EventAccumulator(str(runs[0])).Reload().Scalars("train/rays")] == [128.0]
    # the same two nodes resume the run for a third round
    port = _free_port()
    results = _finish(
        [
            _node(clip, logroot, port, "resume", "--num_rounds=3", "--iters_per_round=5", "--load_suffix=latest")
            for _ in range(2)
        ]
    )
    for code, out, err in results:
        assert code == 0, err[-3000:]
    ck = read_checkpoint(runs[0] / "ckpt_latest.pth")
    assert ck["step"] == 15 and [h["round"] for h in ck["history"]] == [1, 2, 3]
    assert all(torch.isfinite(v).all() for v in ck["model"].values() if v.is_floating_point())


@pytest.mark.slow
def test_a_killed_worker_is_restarted_and_the_run_continues_from_its_checkpoint(clip, tmp_path):
    logroot = tmp_path / "logdir"
    run = logroot / "clip-nodes"
    port = _free_port()
    nodes = [
        _node(clip, logroot, port, "elastic", "--num_rounds=4", "--iters_per_round=8", restarts=1) for _ in range(2)
    ]
    killed = None
    try:
        deadline = time.time() + 400
        while killed is None and time.time() < deadline and all(p.poll() is None for p in nodes):
            if (run / "ckpt_0001.pth").is_file():  # the first round is saved: kill the first process
                workers = {pid: _rank_of(pid) for p in nodes for pid in _children(p.pid)}
                target = next((pid for pid, rank in workers.items() if rank == 0), None)
                if target is not None:
                    os.kill(target, signal.SIGKILL)
                    killed = read_checkpoint(run / "ckpt_latest.pth")["step"]
                    break
            time.sleep(0.05)
        results = _finish(nodes)
    finally:
        for p in nodes:
            if p.poll() is None:
                p.kill()
    assert killed is not None, "the run ended before a worker could be killed"
    assert 8 <= killed < 32
    for code, out, err in results:
        assert code == 0, err[-3000:]
    said = "".join(out for _, out, _ in results)
    assert f"elastic restart: resuming {run} from ckpt_latest.pth at step {killed}" in said, said
    ck = read_checkpoint(run / "ckpt_latest.pth")
    assert ck["step"] == 32
    # the rounds before the kill come from the checkpoint, the rest were trained after the restart
    rounds = [h["round"] for h in ck["history"]]
    assert rounds == [1, 2, 3, 4], rounds
    assert (run / "ckpt_0004.pth").is_file()


def test_restart_count_and_reseeding_outside_torchrun(monkeypatch):
    import numpy as np

    monkeypatch.delenv("TORCHELASTIC_RESTART_COUNT", raising=False)
    assert restart_count() == 0
    monkeypatch.setenv("TORCHELASTIC_RESTART_COUNT", "2")
    assert restart_count() == 2

    class Sampler:
        def __init__(self):
            self.rng = np.random.default_rng(0)

        def set_state(self, state):
            self.rng.bit_generator.state = state

    draws = {}
    for rank in (0, 1, 2):
        s, g = Sampler(), torch.Generator().manual_seed(5)
        reseed_process(s, g, seed=1, rank=rank, step=40)
        draws[rank] = (tuple(s.rng.integers(0, 1000, 8)), float(torch.rand(1, generator=g)))
    assert draws[0] == (
        tuple(np.random.default_rng(0).integers(0, 1000, 8)),
        float(torch.rand(1, generator=torch.Generator().manual_seed(5))),
    )  # rank 0 keeps its own
    assert draws[1] != draws[2] and draws[1][0] != draws[0][0]


def test_a_restarted_process_resumes_only_from_a_checkpoint_and_never_over_the_users_choice(
    tmp_path, monkeypatch, capsys
):
    from herd.run.checkpoint import CHECKPOINT_FORMAT
    from herd.run.options import TrainConfig
    from herd.train.elastic import resume_after_restart

    opts = TrainConfig(seqname="x")
    monkeypatch.setenv("TORCHELASTIC_RESTART_COUNT", "1")
    assert resume_after_restart(opts, tmp_path, 0, 1).load_suffix == ""  # nothing saved yet: start afresh
    torch.save({"format": CHECKPOINT_FORMAT, "step": 7}, tmp_path / "ckpt_latest.pth")
    assert resume_after_restart(opts, tmp_path, 0, 1).load_suffix == "latest"
    assert f"resuming {tmp_path} from ckpt_latest.pth at step 7" in capsys.readouterr().out
    assert resume_after_restart(TrainConfig(seqname="x", load_suffix="0003"), tmp_path, 0, 1).load_suffix == "0003"
    monkeypatch.setenv("TORCHELASTIC_RESTART_COUNT", "0")  # first start: a checkpoint is not resumed by itself
    assert resume_after_restart(opts, tmp_path, 0, 1).load_suffix == ""


def test_several_nodes_with_restarts_on_the_shared_store_are_warned_about(monkeypatch):
    from herd.train.elastic import restarts_need_own_store

    env = {"TORCHELASTIC_MAX_RESTARTS": "1", "GROUP_WORLD_SIZE": "2", "TORCHELASTIC_USE_AGENT_STORE": "True"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert restarts_need_own_store()
    monkeypatch.setenv("TORCHELASTIC_USE_AGENT_STORE", "False")  # TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1
    assert not restarts_need_own_store()
    monkeypatch.setenv("TORCHELASTIC_USE_AGENT_STORE", "True")
    monkeypatch.setenv("GROUP_WORLD_SIZE", "1")  # one node: one agent restarts every process
    assert not restarts_need_own_store()
