"""The plugin is registered by the ``pytest11`` entry point: a user's tests need no conftest at all."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest

USER_TESTS = (Path(__file__).with_name("test_user_style.py")).read_text(encoding="utf-8")


def test_entry_point_is_declared() -> None:
    [ep] = [ep for ep in entry_points(group="pytest11") if ep.name == "amocrm"]
    assert ep.value == "amocrm.testing.pytest_plugin"


def test_user_tests_run_through_the_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mine=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--trace-config", timeout=120)
    result.assert_outcomes(passed=4)
    # --trace-config lists the plugins loaded from setuptools entry points, by distribution
    result.stdout.re_match_lines([r"registered third-party plugins:", r"\s+amocrm-\d\S* at .*pytest_plugin\.py"])
    result.stdout.re_match_lines([r"plugins: .*amocrm-\d"])
    assert not list(pytester.path.glob("conftest.py"))


def test_without_the_plugin_the_fixtures_are_missing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mine=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:amocrm", "-q", timeout=120)
    result.stdout.fnmatch_lines(["*fixture 'amocrm_client' not found*"])
    assert result.ret != 0
