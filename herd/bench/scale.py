"""Does a training step stay the same size as videos are added? ``python -m herd.bench.scale``

One synthetic quadruped category of 48 videos (``--frames`` frames each at ``--res`` px, seed 0) is
cut into categories of the first 6, 12, 24 and 48 videos. For each, in its own process (so peak
memory is its own), with the same model configuration (``comp_skel-quad_dense --nosingle_inst``,
the default 4,096 rays and 16 frames per step):

- the training cache is built and timed (seconds per video);
- the model is set up (initial shape, proxy) and the proxy refresh that opens every round timed;
- ``--steps`` training steps are timed after 3 warm-up steps (median and mean per step), in that
  process alone and again interleaved: one more process sets up every size and takes one step of
  each in turn (the order rotating), so that the load of a shared machine falls on every size
  alike; the flatness verdict uses the interleaved medians;
- peak resident memory (``VmHWM``) and, at the end, its two parts: memory the process owns
  (``RssAnon``: model, optimiser, activations, the step's batch) and file-backed pages
  (``RssFile``: the libraries, about 250 MB of them torch's, and the pages of the memory-mapped
  cache the run has read, which the kernel may drop at any time and which grow with the frames a
  run has touched, not with what a step needs).

Flat means within ``--tolerance`` (15 %) of the smallest category: step time (interleaved
median) and owned memory. Writes ``bench/results/scale-<date>.json`` and ``.md`` and prints the table.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (6, 12, 24, 48)


def _status_mb(*keys: str) -> dict[str, int]:
    """Fields of ``/proc/self/status`` in MB (``VmHWM``, ``RssAnon``, ``RssFile``)."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in keys:
            out[k] = round(int(v.split()[0]) / 1024)
    return out


def _trainer(data: str, logroot: str, steps: int):
    """A trainer on ``data`` (same model for every size) after its initial shape, first proxy and 3
    warm-up steps; and how long the proxy took."""
    from herd.model.fg_motion import FgMotion
    from herd.model.model import ModelConfig
    from herd.run.options import TrainConfig
    from herd.train.init_shape import fit_initial_shape
    from herd.train.trainer import Trainer

    opts = TrainConfig(
        seqname=data, logname="scale", logroot=logroot, quiet=True, num_rounds=1, iters_per_round=steps + 3
    )
    t = Trainer(
        opts, ModelConfig(fg_motion=FgMotion.parse("comp_skel-quad_dense"), single_inst=False)
    )  # reuses the cache
    fit_initial_shape(t.model)
    t0 = time.perf_counter()
    t.refresh_proxy()
    proxy_s = time.perf_counter() - t0
    for _ in range(3):
        t.train_step()
    return t, proxy_s


def interleaved(datas: list[str], logroots: list[str], steps: int) -> list[float]:
    """Median step time (ms) of each category, one step of each in turn, ``steps`` turns (run in a
    child process)."""
    trainers = [_trainer(d, r, steps)[0] for d, r in zip(datas, logroots)]
    times: list[list[float]] = [[] for _ in trainers]
    for k in range(steps):
        for j in range(len(trainers)):
            i = (j + k) % len(trainers)
            t0 = time.perf_counter()
            trainers[i].train_step()
            times[i].append(time.perf_counter() - t0)
    return [round(1000 * statistics.median(x), 1) for x in times]


def measure(data: str, logroot: str, steps: int) -> dict:
    """Cache, set-up and ``steps`` timed training steps on one category (run in a child process)."""
    import torch

    from herd.data.cache import build_cache
    from herd.data.reader import load_dataset

    ds = load_dataset(data)
    res = max(ds.videos[0].height, ds.videos[0].width)
    t0 = time.perf_counter()
    build_cache(ds, res, Path(logroot) / ".cache", progress=False)
    cache_s = time.perf_counter() - t0
    t, proxy_s = _trainer(data, logroot, steps)
    opts = t.opts
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        t.train_step()
        times.append(time.perf_counter() - t0)
    mem = _status_mb("VmHWM", "RssAnon", "RssFile")
    return {
        "videos": t.cache.num_videos,
        "frames": t.cache.num_frames,
        "res": res,
        "cache_s": round(cache_s, 2),
        "cache_s_per_video": round(cache_s / t.cache.num_videos, 3),
        "proxy_s": round(proxy_s, 2),
        "step_ms_median": round(1000 * statistics.median(times), 1),
        "step_ms_mean": round(1000 * statistics.fmean(times), 1),
        "steps": steps,
        "rays_per_step": opts.num_rays,
        "threads": torch.get_num_threads(),
        "parameters": sum(p.numel() for p in t.model.parameters()),
        "peak_mb": mem["VmHWM"],
        "owned_mb": mem["RssAnon"],
        "file_mb": mem["RssFile"],
    }


def make_categories(
    work: Path, sizes: tuple[int, ...], frames: int, res: int, seed: int
) -> tuple[dict[int, Path], float]:
    """The largest category by ``herd synth`` and the smaller ones as its first videos; returns the
    folders and the synthesis time in seconds."""
    from herd.data.writer import write_json
    from herd.synth.generate import SynthConfig, synthesize

    big = max(sizes)
    full = work / f"quad-{big}"
    t0 = time.perf_counter()
    synthesize(
        SynthConfig(
            out=full,
            category="quad",
            videos=big,
            frames=frames,
            res=res,
            seed=seed,
            heldout_views=0,
            transfer_pairs=0,
            progress=False,
            workers=0,
        )
    )
    synth_s = time.perf_counter() - t0
    manifest = json.loads((full / "manifest.json").read_text())
    out = {big: full}
    for n in sorted(set(sizes) - {big}):
        sub = work / f"quad-{n}"
        sub.mkdir()
        for name in manifest["videos"][:n]:
            shutil.copytree(full / name, sub / name)
        write_json(sub / "manifest.json", {**manifest, "name": f"quad-{n}", "videos": manifest["videos"][:n]})
        out[n] = sub
    return dict(sorted(out.items())), synth_s


def run(
    sizes: tuple[int, ...] = SIZES,
    steps: int = 30,
    frames: int = 16,
    res: int = 64,
    seed: int = 0,
    tolerance: float = 0.15,
) -> dict:
    """Measure every size in its own process; print the table; return the results."""
    with tempfile.TemporaryDirectory() as tmp:
        cats, synth_s = make_categories(Path(tmp), sizes, frames, res, seed)
        print(f"[scale] herd synth: {max(sizes)} videos x {frames} frames at {res} px in {synth_s:.1f} s", flush=True)
        rows = []
        for n, data in cats.items():
            arg = json.dumps([str(data), str(Path(tmp) / f"logdir-{n}"), steps])
            p = subprocess.run(
                [sys.executable, "-m", "herd.bench.scale", "--_child", arg], check=False, capture_output=True, text=True
            )
            if p.returncode != 0:
                raise SystemExit(f"herd.bench.scale: the {n}-video measurement failed:\n{p.stderr[-3000:]}")
            rows.append(json.loads(p.stdout.strip().splitlines()[-1]))
            print(
                f"[scale] {n} videos: {rows[-1]['step_ms_median']} ms per step, {rows[-1]['owned_mb']} MB owned",
                flush=True,
            )
        arg = json.dumps([[str(d) for d in cats.values()], [str(Path(tmp) / f"logdir-{n}") for n in cats], steps])
        p = subprocess.run(
            [sys.executable, "-m", "herd.bench.scale", "--_interleave", arg],
            check=False,
            capture_output=True,
            text=True,
        )
        if p.returncode != 0:
            raise SystemExit(f"herd.bench.scale: the interleaved measurement failed:\n{p.stderr[-3000:]}")
        for r, ms in zip(rows, json.loads(p.stdout.strip().splitlines()[-1])):
            r["step_ms_interleaved"] = ms
        print(
            "[scale] interleaved: " + ", ".join(f"{r['videos']} videos {r['step_ms_interleaved']} ms" for r in rows),
            flush=True,
        )
    result = {
        "sizes": list(sizes),
        "frames_per_video": frames,
        "res": res,
        "steps": steps,
        "synth_s": round(synth_s, 1),
        **verdict(rows, tolerance),
    }
    print(table(result))
    return result


def verdict(rows: list[dict], tolerance: float) -> dict:
    """The rows with their spread (largest over smallest, minus 1) in step time and memory, whether
    step time and owned memory are flat within ``tolerance``, and the proxy refresh per video."""
    keys = ("step_ms_interleaved", "step_ms_median", "owned_mb", "peak_mb")
    spread = {k: max(r[k] for r in rows) / min(r[k] for r in rows) - 1 for k in keys}
    return {
        "rows": rows,
        "spread": {k: round(v, 3) for k, v in spread.items()},
        "tolerance": tolerance,
        "flat_step_time": spread["step_ms_interleaved"] <= tolerance,
        "flat_owned_memory": spread["owned_mb"] <= tolerance,
        "proxy_s_per_video": round(statistics.fmean(r["proxy_s"] / r["videos"] for r in rows), 3),
    }


def table(result: dict) -> str:
    """The markdown table and the verdict."""
    lines = [
        "| videos | frames | step ms, interleaved (median) | step ms, alone (median / mean) | peak MB | owned MB | "
        "file-backed MB | cache s per video | proxy refresh s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['videos']} | {r['frames']} | {r['step_ms_interleaved']} | {r['step_ms_median']} / {r['step_ms_mean']} | {r['peak_mb']} | "
            f"{r['owned_mb']} | {r['file_mb']} | {r['cache_s_per_video']} | {r['proxy_s']} |"
        )
    s, tol = result["spread"], result["tolerance"]
    lines += [
        "",
        f"Spread over the sizes (largest / smallest - 1): step time {100 * s['step_ms_interleaved']:.1f} % "
        f"interleaved ({100 * s['step_ms_median']:.1f} % measured alone), "
        f"owned memory {100 * s['owned_mb']:.1f} %, peak resident {100 * s['peak_mb']:.1f} % "
        f"(flat: within {100 * tol:.0f} %): step time {'flat' if result['flat_step_time'] else 'NOT flat'}, "
        f"owned memory {'flat' if result['flat_owned_memory'] else 'NOT flat'}.",
        f"Proxy refresh (once per round): {result['proxy_s_per_video']} s per video.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="numbers of videos")
    p.add_argument("--steps", type=int, default=30, help="timed steps per size (after 3 warm-up steps)")
    p.add_argument("--frames", type=int, default=16, help="frames per video")
    p.add_argument("--res", type=int, default=64, help="image size of the synthetic videos (the training resolution)")
    p.add_argument("--tolerance", type=float, default=0.15)
    p.add_argument("--out", type=Path, default=Path("bench/results"))
    p.add_argument("--_child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--_interleave", default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a._child:
        data, logroot, steps = json.loads(a._child)
        print(json.dumps(measure(data, logroot, steps)))
        return
    if a._interleave:
        datas, logroots, steps = json.loads(a._interleave)
        print(json.dumps(interleaved(datas, logroots, steps)))
        return
    if min(a.sizes) < 1 or a.steps < 1 or a.frames < 2 or a.res < 16:
        p.error("--sizes >= 1, --steps >= 1, --frames >= 2 and --res >= 16")
    import torch

    result = run(tuple(sorted(set(a.sizes))), a.steps, a.frames, a.res, tolerance=a.tolerance)
    date = datetime.date.today().isoformat()
    result["date"] = date
    result["machine"] = (
        f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}, Python {platform.python_version()}"
    )
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / f"scale-{date}.json").write_text(json.dumps(result, indent=1))
    (a.out / f"scale-{date}.md").write_text(
        f"# `python -m herd.bench.scale` ({date})\n\n{result['machine']}\n\n{table(result)}\n"
    )
    print(f"wrote {a.out / f'scale-{date}.json'} and {a.out / f'scale-{date}.md'}")


if __name__ == "__main__":
    main()
