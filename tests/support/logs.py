"""Capturing what DictDB logs, for tests that check a line was written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dictdb import logger


@contextmanager
def warnings_logged() -> Iterator[list[str]]:
    """The WARNING-or-worse lines DictDB logs inside the block (the library is enabled for it)."""
    seen: list[str] = []
    logger.enable("dictdb")
    handler = logger.add(lambda message: seen.append(str(message)), level="WARNING", filter="dictdb")
    try:
        yield seen
    finally:
        logger.remove(handler)
        logger.disable("dictdb")
