"""Benchmarks (``make bench``): speed and quality, always beside a baseline measured in the same run."""
