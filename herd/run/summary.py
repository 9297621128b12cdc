"""Summary of a training run folder for ``herd info``."""

from __future__ import annotations

from pathlib import Path

from herd.errors import HerdInputError
from herd.run.progress import describe_progress, read_progress


def run_summary(run: Path) -> dict:
    """JSON-able summary: options, progress, per-round mask IoU, checkpoints, visualisations."""
    from herd.run.checkpoint import read_checkpoint

    opts = {}
    for line in (run / "opts.log").read_text().splitlines():
        if line.startswith("--") and "=" in line:
            k, v = line[2:].split("=", 1)
            opts[k] = v
    ck_path = run / "ckpt_latest.pth"
    progress = read_progress(run)
    if not ck_path.is_file() and progress is None:
        raise HerdInputError(f"{ck_path}: no checkpoint yet; the run has not finished a step")
    # before the first round's checkpoint, the training's progress file is all there is
    ck: dict = read_checkpoint(ck_path) if ck_path.is_file() else {"step": progress["step"] if progress else 0}
    total = int(opts.get("num_rounds", 0)) * int(opts.get("iters_per_round", 0))
    return {
        "kind": "run",
        "path": str(run),
        "seqname": opts.get("seqname"),
        "fg_motion": opts.get("fg_motion"),
        "single_inst": opts.get("single_inst"),
        "step": ck["step"],
        "total_steps": total,
        "rollbacks": ck.get("rollbacks", 0),
        "history": ck.get("history", []),
        "progress": progress,
        "checkpoints": sorted(p.name for p in run.glob("ckpt_*.pth")),
        "glbs": len(list(run.glob("*-proxy.glb"))),
        "bone_lengths": _bone_lengths(ck["model"], opts) if "model" in ck else None,
    }


def _bone_lengths(state: dict, opts: dict) -> dict | None:
    """Per individual, each bone's length relative to the category mean (the canonical skeleton),
    named after the bone's child joint; None without a skeleton."""
    import torch

    if "articulation.length_head.weight" not in state:
        return None
    codes = state["morph_codes"]
    scale = torch.exp(codes @ state["articulation.length_head.weight"].T + state["articulation.length_head.bias"])
    scale = scale[:, state["articulation.bone_tie"]]
    names = None
    try:
        from herd.data.reader import load_dataset
        from herd.run.folders import dataset_path

        ds = load_dataset(dataset_path(opts.get("seqname", ""), opts.get("data_root", "database")))
        if ds.skeleton is None:
            raise ValueError("the dataset has no skeleton")
        names = [ds.skeleton.joint_names[c] for c in ds.skeleton.bone_children]
        videos = [v.name for v in ds.videos]
    except (OSError, ValueError, KeyError, AttributeError, HerdInputError):  # the dataset moved or changed: indices
        videos = None
    names = names or [f"bone{b}" for b in range(scale.shape[1])]
    rel = scale / scale.mean(0, keepdim=True)
    rows = videos if videos and len(videos) == len(rel) else [f"code{i}" for i in range(len(rel))]
    return {"bones": names, "individuals": rows, "relative": rel.numpy().round(4).tolist()}


def print_run_summary(s: dict) -> None:
    print(f"run {s['path']}")
    print(f"  dataset    {s['seqname']}   motion {s['fg_motion']}   single_inst {s['single_inst']}")
    print(f"  progress   step {s['step']} of {s['total_steps']}   rollbacks {s['rollbacks']}")
    if s.get("progress"):
        print(f"  training   {describe_progress(s['progress'], s['path'])}")
    print(f"  saved      {len(s['checkpoints'])} checkpoints, {s['glbs']} rounds of bones/proxy GLBs")
    bl = s.get("bone_lengths")
    if bl and len(bl["individuals"]) > 1:
        print("  bone lengths relative to the category mean:")
        show = range(len(bl["bones"]))
        print("  " + f"{'':<10}" + "".join(f"{bl['bones'][b][:9]:>10}" for b in show))
        for name, row in zip(bl["individuals"], bl["relative"]):
            print("  " + f"{name:<10}" + "".join(f"{row[b]:>10.3f}" for b in show))
    if s["history"]:
        print(f"  {'round':>7}{'step':>7}{'minutes':>9}{'mask IoU':>10}")
        for h in s["history"]:
            print(f"  {h['round']:>7}{h['step']:>7}{h['time'] / 60:>9.1f}{h['mask_iou']:>10.3f}")
