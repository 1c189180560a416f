"""Without pyarrow (simulated: ``sys.modules["pyarrow"] = None`` makes ``import pyarrow`` fail), every Arrow
and Parquet call raises an ImportError that names the extra to install, and changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dictdb import DictDB, Table

EXTRA = r"needs pyarrow, which is not installed: pip install cydictdb\[arrow\] \(the 'arrow' extra\)"


@pytest.fixture
def no_pyarrow(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in sys.modules if name == "pyarrow" or name.startswith("pyarrow.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)


@pytest.mark.usefixtures("no_pyarrow")
def test_every_arrow_call_names_the_extra(tmp_path: Path) -> None:
    table = Table("t")
    table.insert({"x": 1})
    with pytest.raises(ImportError, match="Table.to_arrow " + EXTRA):
        table.to_arrow()
    path = tmp_path / "t.parquet"
    with pytest.raises(ImportError, match="Table.export_parquet " + EXTRA):
        table.export_parquet(path)
    assert not path.exists()
    db = DictDB()
    with pytest.raises(ImportError, match="DictDB.import_parquet " + EXTRA):
        db.import_parquet(path, "t")
    with pytest.raises(ImportError, match="DictDB.from_arrow " + EXTRA):
        DictDB.from_arrow({})
    assert db.list_tables() == []


def test_importing_dictdb_does_not_import_pyarrow() -> None:
    code = (
        "import sys, dictdb; t = dictdb.DictDB().create_table('t'); t.insert({'x': 1}); "
        "t.aggregate(n=dictdb.Count()); print('pyarrow' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
