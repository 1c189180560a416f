"""Build the API reference from the docstrings with pdoc: ``python docs/build_api.py OUT_DIR``.

``make docs`` runs it into ``docs/_build/api`` (git-ignored). It documents the public modules (``MODULES``),
reads docstrings as Google style, and fails on any warning pdoc gives (an annotation it cannot resolve, a
docstring it cannot parse), on a public name (``dictdb.__all__``) the reference lacks, and on a public
method of ``DictDB`` or ``Table`` it has no entry for, so the reference never silently loses a part.
``make test`` runs it too.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pdoc
import pdoc.render

#: The public modules: ``dictdb`` (every public name, with ``dictdb.exceptions`` as its submodule), the
#: modules the docs name, and the mixins ``Table`` and ``DictDB`` are made of: pdoc lists a class's inherited
#: methods as links to where they are defined, so without their modules ``Table.create_index`` or
#: ``DictDB.import_csv`` would have no page. ``dictdb._core`` is private (its twins: docs/core.md).
MIXINS = ("table_indexes", "table_info", "table_changes", "table_interop", "table_join", "database_imports")
MODULES = ("dictdb", "dictdb.locking", *(f"dictdb.{name}" for name in MIXINS))


def build(out: Path) -> list[str]:
    """Write the reference into ``out``; return pdoc's warnings (none for a good build)."""
    pdoc.render.configure(
        docformat="google",
        footer_text="DictDB (cydictdb)",
        search=True,
        show_source=True,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*MODULES, output_directory=out)
    return [f"{w.category.__name__}: {w.message}" for w in caught]


def missing_names(out: Path) -> list[str]:
    """The names of ``dictdb.__all__`` that the reference does not document (a submodule has its own page)."""
    import dictdb

    page = (out / "dictdb.html").read_text(encoding="utf-8")
    return [
        name
        for name in dictdb.__all__
        if f'id="{name}"' not in page and not (out / "dictdb" / f"{name}.html").exists()
    ]


def missing_methods(out: Path) -> list[str]:
    """The public methods and properties of ``DictDB`` and ``Table`` the reference has no entry for: on the
    class's own page, or on its mixin's."""
    import dictdb

    missing = []
    for cls in (dictdb.DictDB, dictdb.Table):
        for name in dir(cls):
            owner = next((k for k in cls.__mro__ if name in vars(k)), object)
            if name.startswith("_") or owner is object:
                continue
            if owner is cls:
                page = out / "dictdb.html"
            else:
                page = out / "dictdb" / f"{owner.__module__.rsplit('.', 1)[-1]}.html"
            if not page.exists() or f'id="{owner.__name__}.{name}"' not in page.read_text(encoding="utf-8"):
                missing.append(
                    f"{cls.__name__}.{name} (defined in {owner.__module__}) is not in the reference"
                )
    return missing


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    found = build(out)
    found += [
        f"dictdb.{name} is public (dictdb.__all__) but not in the reference" for name in missing_names(out)
    ]
    found += missing_methods(out)
    for warning in found:
        print(f"pdoc warning: {warning}", file=sys.stderr)
    if found:
        print(f"the API reference has {len(found)} warning(s): fix the docstrings above", file=sys.stderr)
        return 1
    pages = sorted(out.rglob("*.html"))
    print(f"API reference: {len(pages)} pages in {out}/ (open {out / 'dictdb.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
