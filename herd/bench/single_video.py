"""Acceptance benchmark of the model and trainer on single synthetic videos.

``python -m herd.bench.single_video [--category quad human] [--res 96] [--set name=value ...]``
synthesises one video of 32 frames per category (15 degrees of initial rotation noise), trains
``comp_skel-<category>_dense`` for 10 rounds of 200 steps, within the acceptance's 10 minutes
(``--max_minutes 9.5``: on a slow machine the last round stops at the budget; 8-10 minutes on 2 CPU
cores at 96 px) and prints the reference-view and held-out-view mask IoU with the wall-clock time.
The same as ``herd.bench.category --videos 1 --single_inst --num_rounds 10 --iters_per_round 200
--max_minutes 9.5``.
"""

from __future__ import annotations

import sys

from herd.bench import category


def main() -> None:
    defaults = [
        "--videos",
        "1",
        "--single_inst",
        "--num_rounds",
        "10",
        "--iters_per_round",
        "200",
        "--max_minutes",
        "9.5",
    ]
    category.main(defaults + sys.argv[1:])


if __name__ == "__main__":
    main()
