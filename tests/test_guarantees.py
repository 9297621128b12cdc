"""What herd guarantees with other people's files and the user's own (docs/guarantees.md): safe
checkpoint loading, folders it replaces, the run lock, signals, atomic outputs, option ranges and
progress. Every test works on tiny data and takes seconds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import _synth

from herd.model.model import ModelConfig
from herd.train.config import TrainConfig
from herd.train.trainer import Trainer

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """One quadruped, 6 frames at 32 px."""
    return _synth(tmp_path_factory.mktemp("guarantees") / "clip", category="quad", videos=1, frames=6, res=32,
                  seed=2, heldout_views=0, transfer_pairs=0)


def _opts(clip, logroot, **kw) -> TrainConfig:
    base = dict(seqname=str(clip), logname="g", logroot=str(logroot), num_rounds=1, iters_per_round=2,
                num_rays=128, frames_per_step=2, num_samples=8, quiet=True, warmup_iters=2, seed=1, threads=1)
    base.update(kw)
    return TrainConfig(**base)


def _flags(o: TrainConfig) -> list[str]:
    return [f"--seqname={o.seqname}", f"--logname={o.logname}", f"--logroot={o.logroot}",
            f"--num_rounds={o.num_rounds}", f"--iters_per_round={o.iters_per_round}", f"--num_rays={o.num_rays}",
            f"--frames_per_step={o.frames_per_step}", f"--num_samples={o.num_samples}", "--quiet",
            f"--warmup_iters={o.warmup_iters}", f"--seed={o.seed}", f"--threads={o.threads}"]


def herd(*args, cwd=None, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "herd", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300, **kw)


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

    from herd.train.run_dir import run_path

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
    for cmd in (["info", run], ["report", run], ["train", f"--flagfile={flagfile}", "--load_suffix=latest"],
                ["render", f"--flagfile={flagfile}", "--render_res=8"]):
        one_line_error(herd(*cmd, cwd=tmp_path), str(ck))
    assert not sentinel.exists()
