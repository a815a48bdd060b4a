"""Benchmarks of django-workfront-oauth: ``python benchmarks/bench.py`` (see README.rst)."""
