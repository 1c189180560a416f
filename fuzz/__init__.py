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

#: The address space a harness process may take (``RLIMIT_AS``). A case that makes the code under test
#: allocate more (an allocation bomb the loader failed to refuse) gets ``MemoryError`` at once, which the
#: run reports as a failure, where it would otherwise make the machine swap. A harness takes ~150 MB.
MEMORY_LIMIT = 2 << 30


def limit_memory(limit: int = MEMORY_LIMIT) -> None:
    """Cap this process's address space at ``limit`` bytes (or at the hard limit, if lower); nothing where
    the platform has no ``resource`` module (Windows)."""
    try:
        import resource
    except ImportError:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
