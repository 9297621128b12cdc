"""python -m herd.bench.scale: the categories it cuts, its verdict, its refusals (the measurement itself is
make bench-scale)."""

import os
import subprocess
import sys

from conftest import REPO


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}


def test_scale_bench_cuts_one_category_into_its_first_videos(tmp_path):
    from herd.bench.scale import make_categories
    from herd.data.reader import load_dataset

    cats, synth_s = make_categories(tmp_path, (2, 3), frames=3, res=24, seed=0)
    assert list(cats) == [2, 3] and synth_s > 0
    small, big = load_dataset(cats[2]), load_dataset(cats[3])
    assert [v.name for v in small.videos] == ["v000", "v001"] and len(big.videos) == 3
    assert (cats[2] / "v001" / "images" / "00002.png").read_bytes() == (
        cats[3] / "v001" / "images" / "00002.png"
    ).read_bytes()


def test_scale_bench_verdict_follows_the_spread():
    from herd.bench.scale import table, verdict

    def rows(ms48, mb48):
        return [
            {
                "videos": n,
                "frames": 16 * n,
                "step_ms_interleaved": ms,
                "step_ms_median": 2 * ms if n == 6 else ms,
                "step_ms_mean": ms,
                "peak_mb": 900,
                "owned_mb": mb,
                "file_mb": 300,
                "cache_s_per_video": 0.1,
                "proxy_s": 0.5 * n,
            }
            for n, ms, mb in ((6, 200, 600), (12, 205, 600), (48, ms48, mb48))
        ]

    flat = verdict(rows(225, 650), 0.15)
    # the verdict follows the interleaved times (the 6-video run alone was slowed by other work)
    assert flat["flat_step_time"] and flat["flat_owned_memory"] and flat["spread"]["step_ms_interleaved"] == 0.125
    assert flat["spread"]["step_ms_median"] > 0.15
    assert flat["proxy_s_per_video"] == 0.5
    slow = verdict(rows(240, 700), 0.15)
    assert not slow["flat_step_time"] and not slow["flat_owned_memory"]
    text = table(slow)
    assert "step time NOT flat" in text and "owned memory NOT flat" in text and "| 48 | 768 | 240 | 240 / 240 |" in text


def test_scale_bench_refuses_bad_sizes_with_exit_2():
    p = subprocess.run(
        [sys.executable, "-m", "herd.bench.scale", "--sizes", "0", "6"], capture_output=True, text=True, env=_env()
    )
    assert p.returncode == 2 and "--sizes" in p.stderr.strip().splitlines()[-1]
