"""Acceptance numbers of rendering, export and re-animation on a trained run.

``python -m herd.bench.outputs logdir/<run> [--render_res 256] [--grid_size 128]``

prints, as JSON: the mask IoU of every video's exported per-frame meshes projected into its
cameras against the input masks; the re-animation mask IoU and PSNR against every synthetic
motion-transfer target; seconds per frame of a reference render at ``--render_res`` and of a
frozen-time turntable (with the relative frame-to-frame change of mask area); seconds to export one
individual at ``--grid_size``; and whether the exported glTF passes the Khronos validator.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> None:
    from herd.model.numerics import set_process_numerics

    set_process_numerics()  # process-wide, once at start-up
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", type=Path)
    p.add_argument("--render_res", type=int, default=256)
    p.add_argument("--grid_size", type=int, default=128)
    a = p.parse_args(argv)
    from herd.evaluation.evaluate import ground_truth
    from herd.evaluation.overlay import projected_mesh_ious
    from herd.evaluation.transfer import transfer_scores
    from herd.export.exporter import export_individual
    from herd.export.mesh import extract_canonical_mesh
    from herd.export.sequence import render_sequence, sequence_states
    from herd.model.model import ModelConfig
    from herd.render.viewpoints import Viewpoint
    from herd.run.flags import parse_flags
    from herd.run.loaded_run import load_run
    from herd.run.options import TrainConfig

    opts, cfg = parse_flags([f"--flagfile={a.run / 'opts.log'}", "--quiet"], TrainConfig, ModelConfig)
    run = load_run(opts, cfg)
    out: dict = {"run": str(a.run)}
    overlay = {}
    for v, name in enumerate(run.video_names):
        overlay[name] = round(
            float(projected_mesh_ious(run, extract_canonical_mesh(run.model, v, a.grid_size), v).mean()), 4
        )
    out["mesh_overlay_iou"] = {**overlay, "mean": round(float(np.mean(list(overlay.values()))), 4)}
    gt = ground_truth(run)
    if gt is not None and gt.transfer_pairs():
        tr = {pair["name"]: transfer_scores(run, gt, pair) for pair in gt.transfer_pairs()}
        out["transfer_mask_iou"] = {k: round(float(v["mask_iou"].mean()), 4) for k, v in tr.items()}
        out["transfer_psnr"] = {k: round(float(np.nanmean(v["psnr"])), 2) for k, v in tr.items()}
        out["transfer_mask_iou"]["mean"] = round(float(np.mean([v["mask_iou"].mean() for v in tr.values()])), 4)
    frames = run.cache.video_frames(0)[:8]
    st = sequence_states(run, frames, Viewpoint("ref"), a.render_res)
    r = render_sequence(run, st, a.render_res, run.run_dir / "bench_render" / "ref", progress=False)
    out["render_seconds_per_frame"] = round(r["seconds_per_frame"], 3)
    n = 36
    st = sequence_states(run, np.full(n, frames[0]), Viewpoint("rot", 0, 360), 96, freeze=0)
    area = np.array(render_sequence(run, st, 96, run.run_dir / "bench_render" / "rot", progress=False)["mask_area"])
    out["turntable_max_area_change"] = round(float(np.abs(np.diff(np.r_[area, area[:1]])).max() / area.mean()), 4)
    t0 = time.perf_counter()
    exp = export_individual(run, 0, a.grid_size, progress=False)
    out["export_seconds"] = round(time.perf_counter() - t0, 1)
    check = subprocess.run(
        ["node", str(REPO / "tools" / "validate_gltf.js"), str(exp / "animated.glb")],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(check.stdout)[0]["issues"] if check.stdout else {"error": check.stderr.strip()}
    out["gltf_validator"] = (
        {k: report.get(k) for k in ("numErrors", "numWarnings")} if "error" not in report else report
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
