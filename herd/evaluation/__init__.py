"""Metrics of a trained run against its inputs and, for synthetic data, against ground truth (``gt/``).

Training never imports this package; it is the only reader of ``gt/`` besides the tests.
"""
