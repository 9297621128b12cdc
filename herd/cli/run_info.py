"""Summary of a training run folder for ``herd info``."""

from __future__ import annotations

from pathlib import Path

from herd.errors import HerdInputError


def run_summary(run: Path) -> dict:
    """JSON-able summary: options, progress, per-round mask IoU, checkpoints, visualisations."""
    import torch

    opts = {}
    for line in (run / "opts.log").read_text().splitlines():
        if line.startswith("--") and "=" in line:
            k, v = line[2:].split("=", 1)
            opts[k] = v
    ck_path = run / "ckpt_latest.pth"
    if not ck_path.is_file():
        raise HerdInputError(f"{ck_path}: no checkpoint yet; the run has not finished a step")
    ck = torch.load(ck_path, map_location="cpu", weights_only=False)
    total = int(opts.get("num_rounds", 0)) * int(opts.get("iters_per_round", 0))
    return {"kind": "run", "path": str(run), "seqname": opts.get("seqname"), "fg_motion": opts.get("fg_motion"),
            "single_inst": opts.get("single_inst"), "step": ck["step"], "total_steps": total,
            "rollbacks": ck.get("rollbacks", 0), "history": ck.get("history", []),
            "checkpoints": sorted(p.name for p in run.glob("ckpt_*.pth")),
            "glbs": len(list(run.glob("*-proxy.glb")))}


def print_run_summary(s: dict) -> None:
    print(f"run {s['path']}")
    print(f"  dataset    {s['seqname']}   motion {s['fg_motion']}   single_inst {s['single_inst']}")
    print(f"  progress   step {s['step']} of {s['total_steps']}   rollbacks {s['rollbacks']}")
    print(f"  saved      {len(s['checkpoints'])} checkpoints, {s['glbs']} rounds of bones/proxy GLBs")
    if s["history"]:
        print(f"  {'round':>7}{'step':>7}{'minutes':>9}{'mask IoU':>10}")
        for h in s["history"]:
            print(f"  {h['round']:>7}{h['step']:>7}{h['time'] / 60:>9.1f}{h['mask_iou']:>10.3f}")
