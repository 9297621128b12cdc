"""The processes of a training: the device, joining the process group under ``torchrun`` (gloo on
CPU, NCCL on GPU), and the few decisions every process must take together. With one process and
no launcher each of these is a no-op."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import torch

from herd.errors import HerdInputError


def pick_device(name: str) -> torch.device:
    """``--device``: auto (CUDA when there is a GPU), cpu or cuda."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise HerdInputError("--device cuda: no CUDA GPU is available; use --device cpu or auto")
    return torch.device(name)


def init_distributed(device: torch.device) -> tuple[int, int, torch.device]:
    """Join the process group when started by ``torchrun`` (``WORLD_SIZE`` > 1): gloo on CPU, NCCL
    on GPU. Returns (rank, world size, this process's device)."""
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, device
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    return dist.get_rank(), world, device


def set_threads(threads: int, world: int, device: torch.device) -> None:
    """``--threads`` (0: all cores; under torchrun on CPU, the cores shared between the processes
    of this machine)."""
    if threads > 0:
        torch.set_num_threads(threads)
    elif world > 1 and device.type == "cpu":
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", world))))


def made_by_first(make: Callable[[], Path], rank: int, world: int) -> Path:
    """``make()`` run by the first process only (building the cache); the others wait for its result."""
    path = make() if rank == 0 else None
    if world > 1:
        import torch.distributed as dist

        box = [str(path) if path else None]
        dist.broadcast_object_list(box, src=0)
        path = Path(box[0]) if box[0] is not None else None
    assert path is not None, "the first process made nothing"
    return path


def first_decides(flag: bool, world: int) -> bool:
    """The first process's ``flag`` in every process (e.g. a time budget reached)."""
    if world > 1:
        import torch.distributed as dist

        t = torch.tensor([float(flag)])
        dist.broadcast(t, src=0)
        flag = bool(t.item())
    return flag


def any_decides(flag: bool, world: int) -> bool:
    """True in every process when ``flag`` is True in any (e.g. a stop signal arrived)."""
    if world > 1:
        import torch.distributed as dist

        t = torch.tensor([float(flag)])
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        flag = bool(t.item())
    return flag
