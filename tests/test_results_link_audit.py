"""``--tm-auth-check`` with Xray publishing on also checks that every key the selected tests
link is an Xray Test: one search per 100 keys, each other key named with a test linking it.

The audit is registered here by the test's own ``conftest.py``, as the run's wiring does
when publishing is on, so these runs hold whatever the collecting does.
"""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import Sandbox

CONFTEST = """
from pytest_tm_auth.plugin import STARTUP
from pytest_tm_auth.results.audit import LINK_AUDIT, LinkAudit
from pytest_tm_auth.results.publish import PublishPlugin


class NothingCollected:
    journal_path = None
    services = ("xray",)
    dry_run = False

    def close(self):
        pass


def pytest_configure(config):
    config.addinivalue_line("markers", "xray(*keys): linked Xray Tests")
    setup = lambda: config.stash[STARTUP].setup()
    config.pluginmanager.register(LinkAudit(setup), LINK_AUDIT)
    publisher = PublishPlugin(config, NothingCollected(), setup)
    config.pluginmanager.register(publisher, "tm_auth_publish")
"""

LINKED = """
import pytest

@pytest.mark.xray("DEMO-1")
def test_a_test():
    raise AssertionError("never runs under --tm-auth-check")

@pytest.mark.xray(["DEMO-2", "DEMO-300"])
def test_an_execution():
    pass

@pytest.mark.xray("DEMO-9999")
def test_missing():
    pass
"""


def check(pytester: pytest.Pytester, source: str) -> pytest.RunResult:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_linked=source)
    return pytester.runpytest("-p", "no:cacheprovider", "--tm-auth-check")


def test_cloud_lists_the_keys_that_are_not_tests_with_one_search(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    result = check(pytester, LINKED)

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "xray links: 2 of 4 linked keys are not Tests:",
            "  DEMO-300: not an Xray Test, or no such issue"
            " (linked by test_linked.py::test_an_execution)",
            "  DEMO-9999: not an Xray Test, or no such issue"
            " (linked by test_linked.py::test_missing)",
        ]
    )
    assert cloud_env.count("xray.graphql") == 1
    result.stdout.no_fnmatch_line("*never runs*")
    result.stdout.no_fnmatch_line("xray: no linked test*")  # no test ran: publishing is quiet


def test_datacenter_names_the_type_of_a_key_that_is_not_a_test(
    pytester: pytest.Pytester, datacenter_env: Sandbox
) -> None:
    result = check(pytester, LINKED)

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "  DEMO-300: a Test Execution, not a Test (linked by *)",
            "  DEMO-9999: no such issue (linked by *)",
        ]
    )
    assert datacenter_env.count("jiradc.search") == 1


def test_a_hundred_and_fifty_keys_are_two_searches_and_all_tests_pass(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    source = "import pytest\n\n" + "".join(
        f"@pytest.mark.xray('DEMO-{n}')\ndef test_{n}():\n    pass\n\n" for n in range(1, 151)
    )

    result = check(pytester, source)

    assert result.ret == 0
    result.stdout.fnmatch_lines(["xray links: 150 linked keys checked: every one is a Test"])
    assert cloud_env.count("xray.graphql") == 2
