"""The examples in the docstrings of the storage layer, the persistence methods and backups run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "dictdb.exceptions",
    "dictdb.database",
    "dictdb.backup",
    "dictdb.storage.atomic",
    "dictdb.storage.backup_files",
    "dictdb.storage.changes",
    "dictdb.storage.codec",
    "dictdb.storage.delta",
    "dictdb.storage.document",
    "dictdb.storage.frames",
    "dictdb.storage.journal",
    "dictdb.storage.jsonfile",
    "dictdb.storage.persistence",
    "dictdb.storage.pickle_safe",
    "dictdb.storage.schema_names",
    "dictdb.storage.snapshot",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
