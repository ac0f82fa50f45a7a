"""Benchmarks of gloo_ai against raw httpx and the official openai client (``nox -s bench``).

Not tests and never a pass/fail gate: the figures go to ``docs/performance.md``.
"""
