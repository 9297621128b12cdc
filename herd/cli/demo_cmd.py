"""``herd demo``: the whole workflow on a small built-in synthetic category, start to finish.

Synthesise a quadruped category, train the category model, render the reference view and a
frozen-time turntable, export meshes, motion and the animated glTF, re-animate individual 0's
motion on individual 1, evaluate against the synthetic ground truth and write the web report.
Every step is printed as the herd command a user would type, so the demo doubles as a tutorial.
"""

from __future__ import annotations

import dataclasses
import shlex
import time
from pathlib import Path
from typing import ClassVar

from herd.errors import HerdInputError
from herd.option_range import Range
from herd.run.flags import parse_flags

# (videos, frames, res, rounds, iters per round, render res, export grid, export face budget)
SIZES = {"full": (3, 24, 80, 10, 150, 160, 256, 30000), "quick": (2, 16, 48, 3, 50, 64, 64, 0)}


def _step(i: int, n: int, argv: list[str]) -> None:
    from herd.cli.main import main

    print(f"\n[{i}/{n}] herd {shlex.join(argv)}", flush=True)
    t0 = time.perf_counter()
    code = main(argv)
    if code:
        raise HerdInputError(f"step {i} (herd {argv[0]}) failed with exit code {code}")
    print(f"[{i}/{n}] done in {time.perf_counter() - t0:.0f} s", flush=True)


@dataclasses.dataclass
class DemoOptions:
    """The whole workflow on a small built-in synthetic category, start to finish.

    Attributes:
        out: folder for the data and the run.
        quick: a smoke test of about 3 minutes.
        seed: random seed of the data and the training.
    """

    out: Path = Path("demo")
    quick: bool = False
    seed: int = 0

    RANGES: ClassVar[dict[str, Range]] = {"seed": Range(0)}


def run(argv: list[str]) -> int:
    (a,) = parse_flags(argv, DemoOptions, prog="herd demo")
    videos, frames, res, rounds, iters, render_res, grid, faces = SIZES["quick" if a.quick else "full"]
    t0 = time.perf_counter()
    name = f"demo-quad{'-quick' if a.quick else ''}"
    data, logroot = a.out / "database" / name, a.out / "logdir"
    run_dir = logroot / f"{name}-demo"
    flagfile = f"--flagfile={run_dir / 'opts.log'}"
    steps = [
        [
            "synth",
            "--category",
            "quad",
            "--videos",
            str(videos),
            "--frames",
            str(frames),
            "--res",
            str(res),
            "--transfer_pairs",
            "1",
            "--seed",
            str(a.seed),
            "--out",
            str(data),
        ],
        [
            "train",
            "--seqname",
            str(data),
            "--logname",
            "demo",
            "--logroot",
            str(logroot),
            "--fg_motion",
            "comp_skel-quad_dense",
            "--nosingle_inst",
            "--num_rounds",
            str(rounds),
            "--iters_per_round",
            str(iters),
            "--seed",
            str(a.seed),
        ],
        ["render", flagfile, "--load_suffix", "latest", "--inst_id", "0", "--render_res", str(render_res)],
        [
            "render",
            flagfile,
            "--inst_id",
            "0",
            "--viewpoint",
            "rot-20-360",
            "--freeze_id",
            str(frames // 2),
            "--render_res",
            str(render_res),
        ],
        ["export", flagfile, "--inst_id", "0", "--grid_size", str(grid), "--max_faces", str(faces)],
        [
            "reanimate",
            flagfile,
            "--motion_id",
            "0",
            "--inst_id",
            "1",
            "--render_res",
            str(render_res),
            "--grid_size",
            str(grid),
            "--max_faces",
            str(faces),
        ],
        ["eval", flagfile, "--stride", "2", "--grid_size", str(min(grid, 128))],
        ["report", str(run_dir)],
    ]
    # resumable: existing data is reused, an interrupted training continues from its last checkpoint
    if (data / "manifest.json").is_file():
        steps[0] = ["info", str(data)]
    if (run_dir / "ckpt_latest.pth").is_file():
        steps[1] += ["--load_suffix", "latest"]
    for i, s in enumerate(steps, 1):
        _step(i, len(steps), s)
    print(f"\ndemo done in {(time.perf_counter() - t0) / 60:.1f} min")
    print(f"report: {(run_dir / 'report' / 'index.html').resolve()}   (herd report {run_dir} --serve to serve it)")
    print(f"TensorBoard: tensorboard --logdir {logroot}")
    return 0
