"""``make bench`` (``python -m herd.bench [--quick]``): quality over time and speed, one command.

1. Generates the benchmark datasets: quad-6 and human-6 (96 px, 32 frames, 15 degrees of initial
   rotation noise) and the Fox asset (4 individuals); ``--quick``: quad-4 at 64 px, 24 frames.
2. Trains each with the default options (``comp_skel-<category>_dense --nosingle_inst``) under a
   fixed wall-clock budget (``--minutes``, default 15; quick 3), evaluates every round's checkpoint
   (reference and held-out mask IoU on every 4th frame) to get the metric curve over time, and
   runs ``herd eval`` on the final model.
3. Measures training throughput, step time and peak memory of the default model and of a
   Lab4D-sized configuration in the same run (:mod:`herd.bench.speed`).
4. Writes ``bench/results/<date>.json`` and ``bench/results/<date>.md`` (the tables, with ratios).
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
FOX = REPO.parent / "shared" / "data" / "assets" / "Fox.glb"


def datasets(quick: bool) -> dict[str, dict]:
    """Benchmark datasets: name -> herd synth settings."""
    if quick:
        return {"quad-4-r64": dict(category="quad", videos=4, frames=24, res=64)}
    out = {
        "quad-6": dict(category="quad", videos=6, frames=32, res=96),
        "human-6": dict(category="human", videos=6, frames=32, res=96),
    }
    if FOX.is_file():
        out["fox-4"] = dict(category="quad", videos=4, frames=32, res=96, asset=FOX)
    return out


def curve(run_dir: Path, opts, model_cfg, history: list[dict], stride: int = 4) -> list[dict]:
    """Reference and held-out mask IoU of every numbered checkpoint, against training time."""
    import dataclasses

    import numpy as np

    from herd.evaluation.evaluate import ground_truth
    from herd.evaluation.masks import heldout_ious, reference_ious
    from herd.run.loaded_run import load_run

    points = []
    for h in history:
        run = load_run(dataclasses.replace(opts, load_suffix=f"{h['round']:04d}"), model_cfg)
        frames = np.concatenate([run.cache.video_frames(v)[::stride] for v in range(run.cache.num_videos)])
        row = {
            "minutes": round(h["time"] / 60, 2),
            "step": h["step"],
            "ref_mask_iou": round(float(reference_ious(run.model, run.cache, run.proxy, run.rcfg, frames).mean()), 4),
        }
        gt = ground_truth(run)
        if gt is not None:
            held = heldout_ious(run.model, run.cache, gt, run.proxy, run.rcfg, stride)
            row["heldout_mask_iou"] = round(float(np.mean([v.mean() for v in held.values()])), 4)
        points.append(row)
    return points


def time_to(points: list[dict], key: str, bar: float) -> float | None:
    """Minutes of training until ``key`` first reaches ``bar`` (None if never)."""
    return next((p["minutes"] for p in points if p.get(key, -1) >= bar), None)


def train_and_measure(name: str, spec: dict, work: Path, minutes: float, seed: int) -> dict:
    from herd.evaluation.evaluate import evaluate
    from herd.model.fg_motion import FgMotion
    from herd.model.model import ModelConfig
    from herd.run.loaded_run import load_run
    from herd.run.options import TrainConfig
    from herd.synth.generate import SynthConfig, synthesize
    from herd.train.trainer import Trainer

    data = work / "database" / name
    t0 = time.perf_counter()
    if not (data / "manifest.json").is_file():
        synthesize(SynthConfig(out=data, seed=seed, progress=False, **spec))
    synth_s = time.perf_counter() - t0
    # a schedule that about fills the budget on 2 cores (~0.3 s per step at 96 px); the budget is a hard stop
    steps = int(minutes * 60 / 0.3)
    rounds = 16 if minutes >= 8 else 4
    opts = TrainConfig(
        seqname=str(data),
        logname=f"bench-{int(time.time())}",
        logroot=str(work / "logdir"),
        num_rounds=rounds,
        iters_per_round=max(steps // rounds, 10),
        max_minutes=minutes,
        quiet=True,
        seed=seed,
    )
    cfg = ModelConfig(fg_motion=FgMotion(spec["category"], soft=True), single_inst=False)
    out = Trainer(opts, cfg).run()
    points = curve(Path(opts.logroot) / f"{name}-{opts.logname}", opts, cfg, out["history"])
    final = evaluate(load_run(opts, cfg), stride=2, grid_size=96, points=3000, progress=False)
    return {
        "dataset": name,
        "spec": {k: str(v) for k, v in spec.items()},
        "synth_seconds": round(synth_s, 1),
        "train_minutes": round(out["seconds"] / 60, 2),
        "steps": out["steps"],
        "curve": points,
        "minutes_to_ref_0.9": time_to(points, "ref_mask_iou", 0.9),
        "minutes_to_heldout_0.8": time_to(points, "heldout_mask_iou", 0.8),
        "metrics": {k: v["mean"] for k, v in final["metrics"].items()},
    }


def markdown(result: dict) -> str:
    lines = [
        f"# herd benchmark {result['date']}",
        "",
        f"Machine: {result['machine']}",
        "",
        "## Quality under a wall-clock budget",
        "",
        "| dataset | train min | steps | ref IoU | held-out IoU | min to ref 0.9 | min to held-out 0.8 | Chamfer (cm) | F@2% | F@5% | transfer IoU | bone r |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in result["quality"]:
        m = r["metrics"]
        f = lambda k, d=3, m=m: f"{m[k]:.{d}f}" if k in m else "-"  # noqa: E731
        lines.append(
            f"| {r['dataset']} | {r['train_minutes']} | {r['steps']} | {f('ref_mask_iou')} | {f('heldout_mask_iou')} | "
            f"{r['minutes_to_ref_0.9'] or '-'} | {r['minutes_to_heldout_0.8'] or '-'} | {f('chamfer_cm', 2)} | "
            f"{f('fscore_2pct')} | {f('fscore_5pct')} | {f('transfer_mask_iou')} | {f('bone_length_r')} |"
        )
    lines += ["", "Metric curves (minutes: reference / held-out mask IoU):", ""]
    for r in result["quality"]:
        pts = ", ".join(
            f"{p['minutes']}: {p['ref_mask_iou']:.3f}/{p.get('heldout_mask_iou', float('nan')):.3f}" for p in r["curve"]
        )
        lines.append(f"- {r['dataset']}: {pts}")
    s = result["speed"]
    lines += [
        "",
        "## Training throughput",
        "",
        "| config | rays/step | step ms | rays/s | occupied | peak MB |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in s["rows"].items():
        lines.append(
            f"| {name} | {row['rays_per_step']} | {row['step_ms']} | {row['rays_per_s']} | "
            f"{row['occupied_fraction']} | {row['peak_mb']} |"
        )
    lines += ["", f"Speed-up of the defaults over the Lab4D-sized configuration: {s['speedup']:.1f}x", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from herd.model.numerics import set_process_numerics

    set_process_numerics()  # process-wide, once at start-up
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="one small dataset, 3 minutes of training (< 10 min in all)")
    p.add_argument("--minutes", type=float, default=None, help="training budget per dataset (default 15; quick 3)")
    p.add_argument("--only", nargs="*", default=None, help="dataset names to run (default all)")
    p.add_argument("--work", type=Path, default=Path("bench/runs"))
    p.add_argument("--out", type=Path, default=Path("bench/results"))
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    import torch

    from herd.bench import speed
    from herd.evaluation.geometry import GEOMETRY_PROTOCOL

    minutes = a.minutes or (3.0 if a.quick else 15.0)
    date = datetime.date.today().isoformat() + ("-quick" if a.quick else "")
    result: dict[str, Any] = {
        "date": date,
        "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}, Python {platform.python_version()}",
        "minutes_budget": minutes,
        "geometry_protocol": GEOMETRY_PROTOCOL,
        "quality": [],
    }
    for name, spec in datasets(a.quick).items():
        if a.only and name not in a.only:
            continue
        print(f"[bench] {name}: synthesise, train {minutes:g} min, evaluate", flush=True)
        row = train_and_measure(name, spec, a.work, minutes, a.seed)
        print(json.dumps({k: v for k, v in row.items() if k != "curve"}), flush=True)
        result["quality"].append(row)
    print("[bench] speed: herd defaults beside the Lab4D-sized configuration", flush=True)
    result["speed"] = speed.run(steps=8 if a.quick else 20, baseline_steps=2 if a.quick else 3)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / f"{date}.json").write_text(json.dumps(result, indent=1))
    md = markdown(result)
    (a.out / f"{date}.md").write_text(md)
    print(md)
    print(f"wrote {a.out / (date + '.json')} and {a.out / (date + '.md')}")


if __name__ == "__main__":
    main()
