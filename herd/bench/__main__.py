"""``python -m herd.bench`` (``make bench``): training throughput beside the Lab4D-sized baseline,
then the single-video quality benchmark (``--quick`` skips the latter)."""

from __future__ import annotations

import sys


def main() -> None:
    quick = "--quick" in sys.argv
    from herd.bench import speed

    sys.argv = [sys.argv[0]]
    speed.main()
    if not quick:
        from herd.bench import single_video

        sys.argv = [sys.argv[0], "--res", "96"]
        single_video.main()


if __name__ == "__main__":
    main()
