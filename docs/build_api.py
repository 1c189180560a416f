"""Build the API reference from the docstrings with pdoc: ``python docs/build_api.py OUT_DIR``.

``make docs`` runs it into ``docs/_build/api`` (git-ignored). It documents the public modules (``MODULES``),
reads docstrings as Google style, and fails on any warning pdoc gives (an annotation it cannot resolve, a
docstring it cannot parse), so the reference never silently loses a part.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pdoc
import pdoc.render

#: The public modules: ``dictdb`` (every public name, with ``dictdb.exceptions`` as its submodule) and the
#: modules the docs name. ``dictdb._core`` is private (its twins are described in docs/core.md).
MODULES = ("dictdb", "dictdb.locking")


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


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    found = build(out)
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
