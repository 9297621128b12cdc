"""``python -m herd.bench.page [--check]``: the tables of ``docs/benchmarks.md`` from ``bench/results``.

``docs/benchmarks.md`` shows today's numbers. Its tables of measured results are not typed by hand:
each lies between ``<!-- begin: NAME -->`` and ``<!-- end: NAME -->`` and is written by this
module from the result files the benchmarks leave in ``bench/results/``:

- ``realcues``: the real-cue benchmark (:mod:`herd.bench.realcues`). For every (category,
  variant, seed) the newest row counts: rows of files with a ``written`` time (every file the
  benchmark writes now) replace rows of older files; a row marked ``superseded_by`` (older files,
  whose rows carry no time) is history and is left out. Each file's command is shown without the
  folders it wrote to (:func:`public_command`).
- ``scale``: the latest :mod:`herd.bench.scale` (``scale-<date>.json``): step time and memory at
  6 to 48 videos.
- ``suite``: the latest ``make bench`` (:mod:`herd.bench.suite`, ``<date>.json``): quality per
  dataset and training throughput beside the Lab4D-sized baseline of the same run.

``--check`` exits 1 when the page is not what the result files say (the test suite runs it).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench" / "results"
PAGE = REPO / "docs" / "benchmarks.md"

#: the real-cue table's columns: metric key -> (header, decimals)
REALCUES_COLUMNS = {
    "ref_mask_iou": ("ref. IoU", 3),
    "heldout_mask_iou": ("held-out IoU", 3),
    "chamfer_cm": ("Chamfer (cm)", 1),
    "fscore_2pct": ("F@2 %", 2),
    "fscore_5pct": ("F@5 %", 3),
    "fscore_10pct": ("F@10 %", 3),
    "seq_chamfer_cm": ("seq. Chamfer (cm)", 1),
    "seq_fscore_5cm": ("seq. F@5 cm", 2),
    "seq_fscore_10cm": ("seq. F@10 cm", 2),
    "bone_length_r": ("bone-length r", 2),
    "joint_error": ("joint error", 3),
    "transfer_mask_iou": ("transfer IoU", 2),
    "floaters": ("floaters", 3),
}
VARIANT_NAMES = {
    "real": "**real: images + masks**",
    "degraded": "real, masks degraded as a segmenter's",
    "oracle": "diagnostic, oracle cues (not a result)",
}


def cell(vals: list[float], decimals: int) -> str:
    """``mean (min-max)`` of finite ``vals`` at ``decimals``; ``-`` when there are none."""
    vals = [v for v in vals if v is not None and np.isfinite(v)]
    if not vals:
        return "-"
    text = f"{np.mean(vals):.{decimals}f}"
    return text + (f" ({min(vals):.{decimals}f}-{max(vals):.{decimals}f})" if len(vals) > 1 else "")


def realcues_table(rows: list[dict]) -> str:
    """Markdown tables, one per category: a line per variant, each metric as mean (min-max) over the
    rows' seeds."""
    lines = []
    for category in dict.fromkeys(r["category"] for r in rows):
        mine = [r for r in rows if r["category"] == category]
        lines += [
            f"| {category}-6 | seeds | " + " | ".join(h for h, _ in REALCUES_COLUMNS.values()) + " | measured |",
            "|" + " --- |" * (len(REALCUES_COLUMNS) + 3),
        ]
        for variant in VARIANT_NAMES:
            sel = sorted((r for r in mine if r["variant"] == variant), key=lambda r: r["seed"])
            if not sel:
                continue
            cells = [cell([r["metrics"].get(k) for r in sel], d) for k, (_, d) in REALCUES_COLUMNS.items()]
            dates = sorted({r["_date"] for r in sel})
            lines.append(
                f"| {VARIANT_NAMES[variant]} | {', '.join(str(r['seed']) for r in sel)} | "
                + " | ".join(cells)
                + f" | {', '.join(dates)} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


#: options of a benchmark's command that say where its files went on the machine that ran it, not
#: what was measured: left out of the page
LOCAL_OPTIONS = ("--work", "--out")


def public_command(command: str) -> str:
    """``command`` without :data:`LOCAL_OPTIONS` (``--work DIR`` or ``--work=DIR``)."""
    words, out = command.split(), []
    skip = False
    for w in words:
        if skip:
            skip = False
        elif w in LOCAL_OPTIONS:
            skip = True
        elif not w.startswith(tuple(f"{o}=" for o in LOCAL_OPTIONS)):
            out.append(w)
    return " ".join(out)


def current_realcues_rows(results: Path = RESULTS) -> tuple[list[dict], list[str]]:
    """The rows that stand today, one per (category, variant, seed), each with ``_date`` and
    ``_file``, and the commands that produced them (see the module's docstring for the rule)."""
    best: dict[tuple, tuple[str, dict]] = {}
    commands: dict[str, str] = {}
    for path in sorted(results.glob("realcues-*.json")):
        data = json.loads(path.read_text())
        written = data.get("written", "")  # files without a time are older than every file with one
        for row in data["rows"]:
            if row.get("superseded_by"):
                continue
            key = (row["category"], row["variant"], row["seed"])
            if key in best and best[key][0] > written:
                continue
            best[key] = (written, {**row, "_date": data["date"], "_file": path.name})
            commands[path.name] = "; ".join(public_command(c) for c in data.get("command", "").split("; "))
    rows = [r for _, r in best.values()]
    used = dict.fromkeys(r["_file"] for r in rows)
    return rows, [f"`{name}`: {commands[name]}" for name in used]


def realcues_section(results: Path = RESULTS) -> str:
    rows, commands = current_realcues_rows(results)
    if not rows:
        return "No real-cue results yet: `python -m herd.bench.realcues`.\n"
    return realcues_table(rows) + "\nCommands, by result file:\n\n" + "".join(f"- {c}\n" for c in commands)


def suite_section(results: Path = RESULTS) -> str:
    """The latest ``make bench``: quality per dataset, then speed beside the baseline."""
    files = sorted(p for p in results.glob("*.json") if re.fullmatch(r"\d{4}-\d{2}-\d{2}\.json", p.name))
    if not files:
        return "No `make bench` results yet.\n"
    data = json.loads(files[-1].read_text())
    lines = [
        f"`python -m herd.bench` of {data['date']} ({data['machine']}; {data['minutes_budget']:g} minutes of "
        f"training per dataset; `bench/results/{files[-1].name}`):",
        "",
        "| dataset | steps | ref. IoU | held-out IoU | minutes to ref. 0.9 | minutes to held-out 0.8 "
        "| transfer IoU | bone-length r |",
        "|" + " --- |" * 8,
    ]
    for q in data["quality"]:
        m = q["metrics"]
        mins = [q.get("minutes_to_ref_0.9"), q.get("minutes_to_heldout_0.8")]
        lines.append(
            f"| {q['dataset']} | {q['steps']} | {m['ref_mask_iou']:.3f} | {m['heldout_mask_iou']:.3f} | "
            + " | ".join("not reached" if v is None else f"{v:.1f}" for v in mins)
            + f" | {m.get('transfer_mask_iou', float('nan')):.3f} | {m.get('bone_length_r', float('nan')):.3f} |"
        )
    speed = data.get("speed")
    if speed:
        lines += [
            "",
            "| configuration (same run) | rays per step | step ms | rays/s | occupied samples | peak MB |",
            "|" + " --- |" * 6,
        ]
        for name, r in speed["rows"].items():
            lines.append(
                f"| {name} | {r['rays_per_step']} | {r['step_ms']:.1f} | {r['rays_per_s']:,} | "
                f"{100 * r['occupied_fraction']:.0f} % | {r['peak_mb']:,} |"
            )
        lines += ["", f"Speed-up over the Lab4D-sized configuration: {speed['speedup']:.1f}x."]
    return "\n".join(lines) + "\n"


def scale_section(results: Path = RESULTS) -> str:
    """The latest ``python -m herd.bench.scale``: step time and memory against the number of videos."""
    from herd.bench.scale import table

    files = sorted(results.glob("scale-*.json"))
    if not files:
        return "No scale results yet: `python -m herd.bench.scale`.\n"
    data = json.loads(files[-1].read_text())
    return f"{data['date']} ({data['machine']}; `bench/results/{files[-1].name}`):\n\n" + table(data).rstrip() + "\n"


SECTIONS = {"realcues": realcues_section, "suite": suite_section, "scale": scale_section}


def render(page: str, results: Path = RESULTS) -> str:
    """``page`` with every generated block written again from ``results``."""
    for name, make in SECTIONS.items():
        found = re.search(rf"(<!-- begin: {name} -->\n).*?(<!-- end: {name} -->)", page, re.S)
        if found is None:
            raise ValueError(f"docs/benchmarks.md has no '<!-- begin: {name} -->' ... '<!-- end: {name} -->' block")
        page = page[: found.start()] + found.group(1) + make(results) + found.group(2) + page[found.end() :]
    return page


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m herd.bench.page", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--check", action="store_true", help="exit 1 if the page differs from what bench/results says")
    a = p.parse_args(argv)
    old = PAGE.read_text()
    new = render(old)
    if a.check:
        if new != old:
            print(
                "docs/benchmarks.md is out of date with bench/results: run python -m herd.bench.page", file=sys.stderr
            )
            return 1
        return 0
    if new != old:
        PAGE.write_text(new)
        print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
