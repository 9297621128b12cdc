"""Shared fixtures: tiny synthetic datasets made once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FOX = SHARED / "data" / "assets" / "Fox.glb"
DAVIS = SHARED / "data" / "davis"


def _synth(out: Path, **kw) -> Path:
    from herd.synth.generate import SynthConfig, synthesize

    return synthesize(SynthConfig(out=out, progress=False, **kw))


@pytest.fixture(scope="session")
def tiny_quad(tmp_path_factory) -> Path:
    """2 quadrupeds x 12 frames at 64 px, with held-out views and one transfer pair."""
    return _synth(tmp_path_factory.mktemp("data") / "tiny-quad", category="quad", videos=2, frames=12, res=64,
                  seed=3, transfer_pairs=1)


@pytest.fixture(scope="session")
def tiny_human(tmp_path_factory) -> Path:
    """2 humans x 12 frames at 64 px."""
    return _synth(tmp_path_factory.mktemp("data") / "tiny-human", category="human", videos=2, frames=12, res=64,
                  seed=4, transfer_pairs=1)
