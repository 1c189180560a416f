"""The backup tests' shared fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dictdb import BackupManager


@pytest.fixture
def managers() -> Iterator[list[BackupManager]]:
    """Managers a test creates; any still running at the end is stopped."""
    made: list[BackupManager] = []
    yield made
    for manager in made:
        if manager._thread is not None:
            manager.stop(final_backup=False)
