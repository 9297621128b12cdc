"""Many videos: a 60-video dataset trains under a low open-file limit; the schedule grows with the data."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, _synth

from herd.errors import HerdInputError
from herd.run.flags import parse_flags
from herd.run.options import TrainConfig
from herd.train.schedule import MAX_ROUNDS, size_schedule


def _env() -> dict:
    """A child's environment that imports this checkout's herd, one thread per process."""
    return {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def sixty(tmp_path_factory) -> Path:
    """60 quadrupeds x 4 frames at 32 px (about 12 s)."""
    return _synth(
        tmp_path_factory.mktemp("scale") / "quad-60",
        category="quad",
        videos=60,
        frames=4,
        res=32,
        seed=7,
        heldout_views=0,
        transfer_pairs=0,
    )


_LIMITED = textwrap.dedent("""
    import json, os, resource, sys
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    from herd.model.model import ModelConfig
    from herd.run.options import TrainConfig
    from herd.train.trainer import Trainer

    data, logroot = sys.argv[1], sys.argv[2]
    t = Trainer(TrainConfig(seqname=data, logname="sixty", logroot=logroot, num_rounds=1, iters_per_round=4,
                            num_rays=256, frames_per_step=8, num_samples=16, quiet=True, seed=0),
                ModelConfig(fg_motion="comp_skel-quad_dense", single_inst=False))
    open_after_setup = len(os.listdir("/proc/self/fd"))
    out = t.run()
    print(json.dumps({"limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0], "videos": t.cache.num_videos,
                      "open_files": open_after_setup, "open_files_end": len(os.listdir("/proc/self/fd")),
                      "steps": out["steps"], "codes": t.model.morph_codes.shape[0]}))
""")


def test_sixty_videos_train_with_the_open_file_limit_at_256(sixty, tmp_path):
    """The reference tool fails with "Too many open files" past about 50 videos; herd's cache is a
    few memory-mapped arrays whatever the number of videos, and nothing keeps a file per video."""
    p = subprocess.run(
        [sys.executable, "-c", _LIMITED, str(sixty), str(tmp_path / "logdir")],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["limit"] == 256 and out["videos"] == 60 and out["codes"] == 60 and out["steps"] == 4
    # far below one descriptor per video: the cache's arrays, the run's files and the interpreter's own
    assert out["open_files"] < 40 and out["open_files_end"] < 40, out
    run = tmp_path / "logdir" / "quad-60-sixty"
    assert (run / "ckpt_latest.pth").is_file() and (run / "ckpt_0001.pth").is_file()


def test_schedule_grows_with_the_frames_and_keeps_what_the_user_gives():
    # small data keeps the old default of 20 rounds of 100 steps
    small = size_schedule(0, 0, 32, 16)
    assert (small.num_rounds, small.iters_per_round, small.total_iters) == (20, 100, 2000)
    # the category benchmark's six 32-frame videos: its 6,000 steps
    assert size_schedule(0, 0, 6 * 32, 16).total_iters == 6000
    # the seed's scale: 48 videos of 40-120 frames -> its 120 rounds, steps in proportion to the frames
    seed = size_schedule(0, 0, 48 * 80, 16)
    assert seed.num_rounds == MAX_ROUNDS and seed.total_iters == 120000
    assert size_schedule(0, 0, 24 * 80, 16).total_iters == pytest.approx(seed.total_iters / 2, rel=0.01)
    # fewer frames per step: more steps for the same draws per frame
    assert size_schedule(0, 0, 24 * 80, 8).total_iters == pytest.approx(
        2 * size_schedule(0, 0, 24 * 80, 16).total_iters, rel=0.01
    )
    # what the user gives is kept; the other value fills in from the dataset
    assert size_schedule(7, 30, 48 * 80, 16).total_iters == 210
    only_rounds = size_schedule(120, 0, 48 * 80, 16)
    assert only_rounds.num_rounds == 120 and only_rounds.iters_per_round == 1000
    only_iters = size_schedule(0, 200, 48 * 80, 16)
    assert only_iters.iters_per_round == 200 and only_iters.num_rounds == 600


def test_schedule_flags_accept_zero_for_the_dataset_and_refuse_negatives():
    (opts,) = parse_flags(["--seqname=x"], TrainConfig)
    assert opts.num_rounds == 0 and opts.iters_per_round == 0
    with pytest.raises(HerdInputError, match="--num_rounds=-1"):
        parse_flags(["--seqname=x", "--num_rounds=-1"], TrainConfig)


def test_trainer_prints_the_schedule_it_sized_and_saves_it_in_opts_log(tmp_path, capsys):
    from herd.model.model import ModelConfig
    from herd.train.trainer import Trainer

    data = _synth(
        tmp_path / "quad-3", category="quad", videos=3, frames=60, res=32, seed=1, heldout_views=0, transfer_pairs=0
    )
    t = Trainer(
        TrainConfig(seqname=str(data), logname="auto", logroot=str(tmp_path / "logdir"), frames_per_step=4),
        ModelConfig(),
    )
    line = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("schedule:")]
    # 180 frames, 4 per step: 500 * 180 / 4 = 22,500 steps in 120 rounds of 188
    assert line == [
        "schedule: 120 rounds x 188 steps = 22560 steps (from the dataset: 3 videos, 180 frames; "
        "set --num_rounds and --iters_per_round to choose)"
    ]
    assert (t.opts.num_rounds, t.opts.iters_per_round) == (120, 188)
    given = Trainer(
        TrainConfig(
            seqname=str(data), logname="given", logroot=str(tmp_path / "logdir"), num_rounds=2, iters_per_round=3
        ),
        ModelConfig(),
    )
    assert capsys.readouterr().out.splitlines()[0] == "schedule: 2 rounds x 3 steps = 6 steps"
    given.run()
    assert "--num_rounds=2\n--iters_per_round=3\n" in (given.run_dir / "opts.log").read_text()


def test_proxy_of_many_individuals_evaluates_a_fraction_of_the_grid_and_keeps_the_shell():
    """A category's proxy is the union of every individual's shape (one field evaluation per video
    per point), refreshed every round: evaluated exactly only near the surface, it must give the
    same occupied shell and surface points as the dense grid."""
    import torch

    from herd.render.occupancy import build_proxy, grid_points

    centres = torch.tensor([[0.0, 0.0, 0.0], [0.25, 0.1, 0.0], [-0.2, 0.0, 0.15]])
    calls = {"points": 0}

    def union(x):  # three spheres of radius 0.3: the union of three individuals
        calls["points"] += len(x)
        return (torch.cdist(x, centres) - 0.3).amin(1)

    lo, hi, G = torch.full((3,), -1.0), torch.full((3,), 1.0), 64
    sparse = build_proxy(union, lo, hi, G=G, generator=torch.Generator().manual_seed(0))
    assert calls["points"] < 0.3 * G**3
    dense_sdf = union(grid_points(lo, hi, G)).reshape(G, G, G)
    cell = 2.0 / G
    dense_occ = (dense_sdf < cell) & (dense_sdf > -3 * cell)
    dense_occ = torch.nn.functional.max_pool3d(dense_occ[None, None].float(), 3, stride=1, padding=1)[0, 0] > 0
    assert torch.equal(sparse.occupied, dense_occ)
    near = dense_sdf.abs() < 1.5 * cell
    assert torch.allclose(sparse.sdf[near], dense_sdf[near], atol=1e-6)
    assert ((sparse.sdf < 0) == (dense_sdf < 0)).all()
