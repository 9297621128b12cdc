"""Acceptance benchmark of the model and trainer on single synthetic videos.

``python -m herd.bench.single_video [--category quad human] [--res 96] [--set name=value ...]``
synthesises one video of 32 frames per category (15 degrees of initial rotation noise), trains
``comp_skel-<category>_dense`` for 10 rounds of 150 steps (about 8 minutes on 2 CPU cores at
96 px) and prints the reference-view and held-out-view mask IoU with the wall-clock time. The same
as ``herd.bench.category --videos 1 --single_inst --num_rounds 10 --iters_per_round 150``.
"""

from __future__ import annotations

import sys

from herd.bench import category


def main() -> None:
    defaults = ["--videos", "1", "--single_inst", "--num_rounds", "10", "--iters_per_round", "150"]
    category.main(defaults + sys.argv[1:])


if __name__ == "__main__":
    main()
