"""The strict-test rules themselves: an unexpected warning, or an exception on a worker thread,
fails the test that caused it; a test that expects a warning says so."""

from __future__ import annotations

from pathlib import Path

import pytest

CASES = """
import logging
import threading

import pytest

log = logging.getLogger("magpie.example")


def test_unexpected_warning():
    log.warning("the disk is full")


@pytest.mark.logs_warnings
def test_expected_warning():
    log.warning("the disk is full")


def test_asserted_with_caplog(caplog):
    log.warning("the disk is full")
    assert "full" in caplog.text


def test_exception_on_a_worker_thread():
    def work():
        raise RuntimeError("boom in a worker")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


def test_info_is_fine():
    log.info("indexed 7 photos")
"""


def test_warnings_and_worker_exceptions_fail_the_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    pytester.makeconftest('pytest_plugins = ["tests.helpers.logfail"]\n')
    pytester.makeini(
        "[pytest]\nmarkers =\n    logs_warnings: expected\nfilterwarnings =\n    error\n"
    )
    pytester.makepyfile(test_cases=CASES)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    # the warning fails its test at teardown (an error), the worker's exception its call
    result.assert_outcomes(passed=4, errors=1, failed=1)
    result.stdout.fnmatch_lines(["*ERROR*test_unexpected_warning*"])
    result.stdout.fnmatch_lines(["*FAILED*test_exception_on_a_worker_thread*"])
