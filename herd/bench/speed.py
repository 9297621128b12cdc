"""Training throughput of the default model beside a Lab4D-sized baseline, measured in one run.

``python -m herd.bench.speed [--steps 20] [--json FILE]``

Each configuration runs in its own process (so peak memory is its own) on the same synthetic
clip (one quadruped, 32 frames, 96 px) with the composed model (skeleton + soft deformation + flow):

- ``herd``: the defaults (3x64 canonical MLP, 32 samples, empty-space skipping, float32;
  docs/model.md);
- ``herd-bf16``: the same under bf16 autocast (``--bf16``), faster only on CPUs with AMX and GPUs;
- ``lab4d-sized``: 8x256 canonical MLP, 64 samples per ray, no empty-space skipping, fp32.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIGS: dict[str, dict[str, object]] = {
    "herd": {},
    "herd-bf16": {"bf16": True},
    "lab4d-sized": {"hidden": 256, "depth": 8, "num_samples": 64, "skip_empty": False, "bf16": False, "num_rays": 1024},
}


def measure(data: str, logroot: str, cfg: dict, steps: int) -> dict:
    """Run ``steps`` training steps after 3 warm-up steps; return timings and peak memory."""
    import torch

    from herd.model.fg_motion import FgMotion
    from herd.model.model import ModelConfig
    from herd.run.options import TrainConfig
    from herd.train.init_shape import fit_initial_shape
    from herd.train.trainer import Trainer

    cfg = dict(cfg)
    model_cfg = ModelConfig(
        fg_motion=FgMotion("quad", soft=True), **{k: cfg.pop(k) for k in ("hidden", "depth") if k in cfg}
    )
    skip = cfg.pop("skip_empty", True)
    opts = TrainConfig(seqname=data, logname="speed", logroot=logroot, quiet=True, **cfg)
    t = Trainer(opts, model_cfg)
    t.rcfg.skip_empty = skip
    fit_initial_shape(t.model)
    t.refresh_proxy()
    for _ in range(3):
        t.train_step()
    t0 = time.perf_counter()
    occ = []
    for _ in range(steps):
        occ.append(t.train_step()["occupied"])
    dt = (time.perf_counter() - t0) / steps
    return {
        "rays_per_step": opts.num_rays,
        "step_ms": round(dt * 1000, 1),
        "rays_per_s": round(opts.num_rays / dt),
        "occupied_fraction": round(sum(occ) / len(occ), 3),
        "threads": torch.get_num_threads(),
        "peak_mb": peak_memory_mb(),
    }


def peak_memory_mb() -> int:
    """This process's peak resident memory. Linux's ``VmHWM`` starts afresh at ``exec``, unlike
    ``ru_maxrss``, which a child started from a large parent inherits."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    from herd.model.numerics import set_process_numerics

    set_process_numerics()  # process-wide, once at start-up
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--baseline_steps", type=int, default=3)
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--_child", default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a._child:
        data, logroot, name, steps = json.loads(a._child)
        print(json.dumps(measure(data, logroot, CONFIGS[name], steps)))
        return
    out = run(a.steps, a.baseline_steps)
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(out, indent=1))


def run(steps: int = 20, baseline_steps: int = 3) -> dict:
    """Measure every configuration (each in its own process), print the table, return
    ``{"rows": {name: {...}}, "speedup": x}``."""
    from herd.synth.generate import SynthConfig, synthesize

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "speed-quad"
        synthesize(
            SynthConfig(
                out=data,
                category="quad",
                videos=1,
                frames=32,
                res=96,
                seed=0,
                progress=False,
                heldout_views=0,
                transfer_pairs=0,
            )
        )
        rows = {}
        for name, n in (("herd", steps), ("herd-bf16", steps), ("lab4d-sized", baseline_steps)):
            arg = json.dumps([str(data), str(Path(tmp) / "logdir"), name, n])
            out = subprocess.run(
                [sys.executable, "-m", "herd.bench.speed", "--_child", arg], capture_output=True, text=True, check=False
            )
            if out.returncode != 0:
                raise SystemExit(out.stderr)
            rows[name] = json.loads(out.stdout.strip().splitlines()[-1])
    ratio = rows["herd"]["rays_per_s"] / rows["lab4d-sized"]["rays_per_s"]
    print(f"{'config':<14}{'rays/step':>10}{'step ms':>10}{'rays/s':>10}{'occupied':>10}{'peak MB':>9}")
    for name, r in rows.items():
        print(
            f"{name:<14}{r['rays_per_step']:>10}{r['step_ms']:>10}{r['rays_per_s']:>10}{r['occupied_fraction']:>10}{r['peak_mb']:>9}"
        )
    print(f"speed-up over the Lab4D-sized configuration: {ratio:.1f}x")
    return {"rows": rows, "speedup": ratio}


if __name__ == "__main__":
    main()
