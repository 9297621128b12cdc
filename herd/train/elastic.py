"""Elastic restarts under ``torchrun --max_restarts N``: a restarted group resumes from the last checkpoint.

When a worker dies, torchrun's agents stop the group and start it again (``TORCHELASTIC_RESTART_COUNT``
counts the restarts of an agent). Each process of the new group runs ``herd train`` with the command
line it was first given, so without help the run would start again from step 0. Here the group
decides together: if any process has been restarted (an agent that did not see a failure itself
restarts its workers with the count unchanged, so one process's count is not enough) and the run has
a ``ckpt_latest.pth``, every process resumes from it, as ``--load_suffix latest`` would.

Several nodes with restarts need ``TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1`` in torchrun's environment
(PyTorch issue 135712): by default the processes meet in a store the agents keep for the whole
job, where a restarted group can read the addresses of the processes it replaces ("Gloo
connectFullMesh failed ... Connection refused"), because agents count restarts apart. The first
process says so when it sees that setting missing.

A resumed process other than the first draws from random streams of its own seeded by (seed, rank,
step): a checkpoint holds only the first process's streams, and a copy would make every process
draw the same frames.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import numpy as np
import torch

from herd.train.processes import any_decides

RESTART_ENV = "TORCHELASTIC_RESTART_COUNT"


def restart_count() -> int:
    """This process's agent's restarts so far (0 outside torchrun or before any restart)."""
    try:
        return int(os.environ.get(RESTART_ENV, "0"))
    except ValueError:
        return 0


SHARED_STORE_WARNING = (
    "herd train: torchrun restarts several nodes through a store shared across restarts, where a "
    "restarted group can find stale addresses; start torchrun with "
    "TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1 (PyTorch issue 135712, docs/model.md)"
)


def restarts_need_own_store() -> bool:
    """True when torchrun may restart a group of several nodes through the agents' shared store."""
    env = os.environ
    try:
        restarts, nodes = int(env.get("TORCHELASTIC_MAX_RESTARTS", "0")), int(env.get("GROUP_WORLD_SIZE", "1"))
    except ValueError:
        return False
    return restarts > 0 and nodes > 1 and env.get("TORCHELASTIC_USE_AGENT_STORE") == "True"


def resume_after_restart(opts, run_dir: Path, rank: int, world: int):
    """``opts`` with ``load_suffix="latest"`` when the group was restarted by torchrun and the run
    has a checkpoint (decided by all processes together); ``opts`` unchanged otherwise, and always
    when the user chose ``--load_suffix``. Call after joining the process group."""
    if rank == 0 and restarts_need_own_store():
        print(SHARED_STORE_WARNING, file=sys.stderr, flush=True)
    restarted = any_decides(restart_count() > 0, world)
    has_checkpoint = any_decides(rank == 0 and (Path(run_dir) / "ckpt_latest.pth").is_file(), world)
    if not restarted or opts.load_suffix or not has_checkpoint:
        return opts
    if rank == 0:
        from herd.run.checkpoint import read_checkpoint

        step = read_checkpoint(Path(run_dir) / "ckpt_latest.pth")["step"]
        print(f"elastic restart: resuming {run_dir} from ckpt_latest.pth at step {step}", flush=True)
    return dataclasses.replace(opts, load_suffix="latest")


def reseed_process(sampler, gen: torch.Generator, seed: int, rank: int, step: int) -> None:
    """Give process ``rank`` (> 0) of a resumed group its own streams for the rest of the run:
    the pixel sampler's and the ray-jitter generator, from (seed, rank, step)."""
    if rank == 0:
        return
    sampler.set_state(np.random.default_rng([seed, rank, step]).bit_generator.state)
    gen.manual_seed(int(np.random.default_rng([seed, rank, step, 1]).integers(2**62)))
