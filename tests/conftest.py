"""Shared fixtures: tiny synthetic datasets made once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FOX = SHARED / "data" / "assets" / "Fox.glb"
DAVIS = SHARED / "data" / "davis"


@pytest.fixture(scope="session", autouse=True)
def _process_numerics():
    """The process-wide settings every command makes at start-up (subnormals flushed to zero)."""
    from herd.model.numerics import set_process_numerics

    set_process_numerics()


def _synth(out: Path, **kw) -> Path:
    from herd.synth.generate import SynthConfig, synthesize

    return synthesize(SynthConfig(out=out, progress=False, **kw))


@pytest.fixture(scope="session")
def tiny_quad(tmp_path_factory) -> Path:
    """2 quadrupeds x 12 frames at 64 px, with held-out views and one transfer pair."""
    return _synth(
        tmp_path_factory.mktemp("data") / "tiny-quad",
        category="quad",
        videos=2,
        frames=12,
        res=64,
        seed=3,
        transfer_pairs=1,
    )


@pytest.fixture(scope="session")
def tiny_human(tmp_path_factory) -> Path:
    """2 humans x 12 frames at 64 px."""
    return _synth(
        tmp_path_factory.mktemp("data") / "tiny-human",
        category="human",
        videos=2,
        frames=12,
        res=64,
        seed=4,
        transfer_pairs=1,
    )


def validate_gltf(*paths: Path) -> list[dict]:
    """Khronos glTF validator reports (``tools/validate_gltf.js``; ``make test`` installs it)."""
    import json
    import shutil
    import subprocess

    script = REPO / "tools" / "validate_gltf.js"
    if shutil.which("node") is None or not (REPO / "tools" / "node_modules" / "gltf-validator").is_dir():
        pytest.fail("the glTF validator is missing: run 'make tools' (needs node and npm)")
    out = subprocess.run(["node", str(script), *map(str, paths)], capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="session")
def trained_quad(tiny_quad, tmp_path_factory):
    """A category model trained briefly on ``tiny_quad`` (2 individuals, 48 px, about a minute),
    opened as a :class:`herd.run.loaded_run.LoadedRun`."""
    from herd.model.model import ModelConfig
    from herd.run.loaded_run import load_run
    from herd.run.options import TrainConfig
    from herd.train.trainer import Trainer

    opts = TrainConfig(
        seqname=str(tiny_quad),
        logname="fixture",
        logroot=str(tmp_path_factory.mktemp("runs")),
        num_rounds=4,
        iters_per_round=100,
        num_rays=2048,
        frames_per_step=8,
        train_res=48,
        quiet=True,
        seed=0,
    )
    cfg = ModelConfig(fg_motion="comp_skel-quad_dense", single_inst=False)
    Trainer(opts, cfg).run()
    return load_run(opts, cfg)
