"""The autouse guard in conftest.py fails a test whose stderr shows "Exception ignored"."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = (Path(__file__).parent / "conftest.py").read_text(encoding="utf-8")


def test_guard_fails_a_test_that_prints_exception_ignored(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST.replace("from dictdb import _core", "from dictdb import _core  # noqa"))
    pytester.makepyfile(
        test_noisy="""
        import sys

        def test_swallowed():
            sys.stderr.write("Exception ignored in: <function f>\\nValueError: boom\\n")

        def test_quiet():
            sys.stderr.write("fine\\n")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*an exception was swallowed during the test*"])
