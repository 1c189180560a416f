"""The examples in the docstrings of the storage layer, the persistence methods and backups run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "dictdb.exceptions",
    "dictdb.database",
    "dictdb.storage.backups.manager",
    "dictdb.storage.files.atomic",
    "dictdb.storage.backups.files",
    "dictdb.storage.backups.changes",
    "dictdb.storage.files.codec",
    "dictdb.storage.backups.delta",
    "dictdb.storage.files.document",
    "dictdb.storage.files.frames",
    "dictdb.storage.files.journal",
    "dictdb.storage.files.jsonfile",
    "dictdb.storage.files.persistence",
    "dictdb.storage.files.pickle_safe",
    "dictdb.storage.files.schema_names",
    "dictdb.storage.files.snapshot",
    "dictdb.storage.progress",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
