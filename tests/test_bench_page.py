"""docs/benchmarks.md's generated tables agree with bench/results, and the rule that picks which
real-cue rows stand."""

import json

from herd.bench.page import PAGE, current_realcues_rows, render


def _row(category, variant, seed, iou, **extra):
    return {"category": category, "variant": variant, "seed": seed, "metrics": {"heldout_mask_iou": iou}, **extra}


def test_benchmarks_page_is_what_the_result_files_say():
    page = PAGE.read_text()
    assert "<!-- begin: realcues -->" in page and "<!-- begin: suite -->" in page
    assert render(page) == page, "run python -m herd.bench.page after adding bench/results"


def test_newer_runs_replace_older_rows_and_superseded_rows_drop(tmp_path):
    (tmp_path / "realcues-2026-01-01.json").write_text(
        json.dumps(
            {
                "date": "2026-01-01",
                "command": "old",
                "rows": [
                    _row("quad", "real", 11, 0.5, superseded_by="the depth run"),
                    _row("quad", "oracle", 11, 0.8),
                    _row("quad", "real", 12, 0.55),
                ],
            }
        )
    )
    (tmp_path / "realcues-2026-01-01-depth.json").write_text(
        json.dumps({"date": "2026-01-01", "command": "depth", "rows": [_row("quad", "real", 11, 0.6)]})
    )
    (tmp_path / "realcues-2026-01-02-120000.json").write_text(
        json.dumps(
            {
                "date": "2026-01-02",
                "written": "2026-01-02T12:00:00+00:00",
                "command": "new",
                "rows": [_row("quad", "real", 12, 0.7)],
            }
        )
    )
    (tmp_path / "realcues-2026-01-02-090000.json").write_text(
        json.dumps(
            {
                "date": "2026-01-02",
                "written": "2026-01-02T09:00:00+00:00",
                "command": "between",
                "rows": [_row("quad", "real", 12, 0.65)],
            }
        )
    )
    rows, commands = current_realcues_rows(tmp_path)
    got = {(r["variant"], r["seed"]): (r["metrics"]["heldout_mask_iou"], r["_file"]) for r in rows}
    assert got == {
        ("oracle", 11): (0.8, "realcues-2026-01-01.json"),
        ("real", 11): (0.6, "realcues-2026-01-01-depth.json"),
        ("real", 12): (0.7, "realcues-2026-01-02-120000.json"),
    }
    assert len(commands) == 3 and not any("between" in c for c in commands)


def test_commands_leave_out_where_the_run_kept_its_files():
    """The page shows what was measured, not the machine's folders: --work and --out (either
    spelling) are dropped from the recorded command, every other option is kept."""
    from herd.bench.page import public_command

    cmd = (
        "python -m herd.bench.realcues --category quad --seeds 12 --work /scratch/me/bench "
        "--out=/scratch/me/results --train_flag=--threads=1 --minutes 200"
    )
    assert public_command(cmd) == (
        "python -m herd.bench.realcues --category quad --seeds 12 --train_flag=--threads=1 --minutes 200"
    )
