"""No secret or issued token reaches a failing run's output, however a test handles it.

The inner tests fail on purpose with the value in every place pytest prints: assertion
diffs, ``-l`` locals, f-strings, captured stdout and logs, skip reasons and JUnit XML.
Issued tokens are JWTs, so any ``eyJ`` in the output is a leaked token.
"""

from __future__ import annotations

import base64

import pytest

from pytest_tm_auth.sandbox import DEMO, Sandbox

LEAKY_TESTS = """
import logging

import pytest


def test_compare_token(xray_token):
    assert xray_token == "x"


def test_repr_in_message(xray_token):
    assert False, repr(xray_token)


def test_local_plain_copy(xray_token):
    held = str(xray_token)
    assert not held


def test_header_built_by_hand(xray_token):
    assert f"Bearer {xray_token}" == "Bearer y"


def test_two_copies_differing_at_the_end(xray_token):
    assert str(xray_token) + "a" == str(xray_token) + "b"


def test_zephyr_request_headers(zephyr_session):
    sent = zephyr_session.get("testcases/DEMO-T1").request.headers
    assert dict(sent) == {}


def test_jira_request_headers(jira_session):
    sent = jira_session.get("myself").request.headers
    assert sent["Authorization"] == "Basic nope"


def test_printed_and_logged(xray_token, zephyr_session):
    print("token:", xray_token)
    logging.getLogger("suite").debug("token %s", xray_token)
    assert False


def test_skip_reason(xray_token):
    pytest.skip(f"skipping with {xray_token}")


def test_xfail_reason(xray_token):
    pytest.xfail(f"flaky with {xray_token}")


def test_recorded_property(xray_token, record_property):
    record_property("token", {"value": str(xray_token)})


def test_warning(xray_token):
    import warnings

    warnings.warn(f"token in a warning: {xray_token}", UserWarning, stacklevel=1)
"""

FAILING = 8


def secrets_of_the_run() -> dict[str, str]:
    """Name -> value of everything secret in the run, named so a failure never prints one."""
    basic = base64.b64encode(f"{DEMO.jira_email}:{DEMO.jira_api_token}".encode()).decode()
    return {
        "xray client secret": DEMO.xray_client_secret,
        "zephyr token": DEMO.zephyr_token,
        "jira api token": DEMO.jira_api_token,
        "jira basic credentials": basic,
        # Every JWT starts so: the Xray token issued in this run, and Zephyr's token.
        "a JWT": "eyJ",
    }


def leaked(text: str) -> list[str]:
    return [name for name, secret in secrets_of_the_run().items() if secret in text]


@pytest.mark.parametrize(
    "verbosity",
    [
        pytest.param(["-vv", "-l", "--setup-show"], id="verbose"),
        pytest.param(["-l"], id="shortened-values"),
    ],
)
def test_failing_run_shows_no_secret(
    pytester: pytest.Pytester, cloud_env: Sandbox, verbosity: list[str]
) -> None:
    pytester.makepyfile(LEAKY_TESTS)
    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "-rA",
        "--log-level=DEBUG",
        "--junitxml=report.xml",
        "-o",
        "junit_family=xunit1",  # writes record_property values (xunit2 leaves them out)
        *verbosity,
    )
    result.assert_outcomes(failed=FAILING, passed=2, skipped=1, xfailed=1, warnings=1)
    result.stdout.fnmatch_lines(["*held*=*'***'*", "token: ***", "*token in a warning: ****"])
    output = result.stdout.str() + result.stderr.str()
    junit = (pytester.path / "report.xml").read_text()
    assert leaked(output) == []
    assert leaked(junit) == []
    assert cloud_env.count("xray.authenticate") == 1


def test_a_configured_secret_is_hidden_even_before_any_provider_is_used(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """Tests can read the configured secrets: output is redacted from the start."""
    pytester.makepyfile(
        """
        import logging
        import os
        import warnings

        def test_reads_the_environment():
            token = os.environ["ZEPHYR_TOKEN"]
            logging.getLogger("suite").warning("token %s", token)
            warnings.warn(f"token {token}", UserWarning, stacklevel=1)
            assert token == "x"
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--junitxml=report.xml", "-rA")

    result.assert_outcomes(failed=1, warnings=1)
    output = result.stdout.str() + (pytester.path / "report.xml").read_text()
    assert DEMO.zephyr_token not in output
    assert cloud_env.count() == 0  # nothing was used


def test_an_unexpected_pass_hides_the_secret_in_its_reason(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """An XPASS report holds nothing to read but its xfail reason: scrubbed all the same."""
    pytester.makepyfile(
        """
        import os

        import pytest

        @pytest.mark.xfail(reason="flaky with " + os.environ["ZEPHYR_TOKEN"])
        def test_passes_anyway():
            pass
        """
    )
    # No pytest-timeout: where it is loaded, the terminal stream is scrubbed as well.
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:timeout", "-rX")

    result.assert_outcomes(xpassed=1)
    result.stdout.fnmatch_lines(["XPASS *flaky with ***"])
    assert DEMO.zephyr_token not in result.stdout.str()
    assert cloud_env.count() == 0
