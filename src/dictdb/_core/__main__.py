"""``python -m dictdb._core`` prints the compiled modules' import paths on one line, from ``MODULES`` (the one
list), for the tools that take them as arguments: the Makefile's and CI's ``mypy.stubtest``."""

from dictdb._core import MODULES

print(" ".join(f"dictdb._core.{name}" for name in MODULES))
