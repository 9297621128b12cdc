"""``python -m herd.bench [--quick]`` (``make bench``, ``make bench-quick``): see :mod:`herd.bench.suite`."""

from herd.bench.suite import main

if __name__ == "__main__":
    main()
