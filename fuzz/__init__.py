"""Fuzz harnesses for DictDB: the predicate compiler, the LIKE matcher and the file loader.

Each target is a module with ``one_input(data: bytes) -> str``: it decodes the bytes into a test case,
runs it, and raises ``AssertionError`` (or lets an unexpected exception escape) when it finds a bug; the
returned word says which path the case took, so a smoke run can check it exercised them all. The bytes
come from atheris (``make fuzz``, coverage-guided) or from a seeded generator (``python -m fuzz --engine
random``, and tests/reliability/test_fuzz_smoke.py in ``make test``); see docs/reliability.md.
"""

from __future__ import annotations

#: The targets, by the name ``python -m fuzz`` takes; each is the module ``fuzz.fuzz_<name>``.
TARGETS = ("predicate", "like", "loader")
