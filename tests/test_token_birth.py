"""A token is hidden from the moment it is born: read from the login answer, or made by a
hook, before any hook, handler or check sees it.

The team's code in these runs writes each token it sees between markers
(``AUTHENTICATED<...>``); each test asserts the markers were written, and that what stands
between them is hidden. The stand-in's Xray tokens are JWTs: ``eyJ`` never appears.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pytest_tm_auth.sandbox import Fault, Sandbox

#: Everything a team's code could do with a fresh token during the login, logged at once.
TEAM_CONFTEST = """
import logging

import pytest

log = logging.getLogger("team")


@pytest.hookimpl(wrapper=True)
def pytest_tm_auth_authenticate(login):
    def show(response, *args, **kwargs):
        log.warning("ANSWER<%s>", response.text)

    login.http.hooks["response"].append(show)
    token = yield
    log.warning("WRAPPER<%s>", token.value)
    return token


def pytest_tm_auth_authenticated(provider, token):
    log.warning("AUTHENTICATED<%s>", token.value)
"""
USES_XRAY = """
import pytest

@pytest.mark.parametrize("number", range(2))
def test_token(xray_token, number):
    assert xray_token
"""
MARKERS = ("ANSWER", "WRAPPER", "AUTHENTICATED")


def shown(text: str, marker: str) -> list[str]:
    """What the run wrote between ``marker<`` and ``>``."""
    return re.findall(rf"{marker}<(.*?)>", text)


def assert_hidden(text: str, markers: tuple[str, ...] = MARKERS) -> None:
    for marker in markers:
        seen = shown(text, marker)
        assert seen, f"{marker} was never written:\n{text}"
        assert all("eyJ" not in value for value in seen), seen
        assert any("***" in value for value in seen), seen
    assert "eyJ" not in text


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makeconftest(TEAM_CONFTEST)
    pytester.makepyfile(USES_XRAY)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def output(result: pytest.RunResult) -> str:
    return result.stdout.str() + result.stderr.str()


#: A login whose token the conftest's hook kept (``seen``), then a later test that prints it.
PRINTS_WHAT_THE_HOOK_SAW = """
import conftest

def test_login(xray_token):
    pass

def test_later():
    print("LATER<%s>" % conftest.seen[0])
    assert False
"""


def test_live_logs_of_the_login_hide_the_token(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    result = run(pytester, "--log-cli-level=INFO")

    result.assert_outcomes(passed=2)
    assert_hidden(output(result))
    assert cloud_env.count("xray.authenticate") == 1


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["alone", "xdist"])
def test_the_log_file_hides_the_token(
    pytester: pytest.Pytester, cloud_env: Sandbox, workers: tuple[str, ...]
) -> None:
    result = run(pytester, "--log-file=run.log", "--log-file-level=INFO", "-rA", *workers)

    result.assert_outcomes(passed=2)
    assert_hidden((pytester.path / "run.log").read_text())
    assert "eyJ" not in output(result)


def test_the_check_hides_the_token_its_hooks_log(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    result = run(pytester, "--tm-auth-check", "--log-cli-level=INFO")

    assert_hidden(output(result))
    result.stdout.fnmatch_lines(["xray *ok*"])


def test_a_token_expired_on_arrival_is_hidden_too(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.add_faults(Fault.jwt("1"), route="xray.authenticate")

    result = run(pytester, "--log-file=run.log", "--log-file-level=INFO")

    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*the token had already expired when it arrived*"])
    assert_hidden((pytester.path / "run.log").read_text(), markers=("ANSWER",))


def test_a_token_a_hook_refused_stays_hidden_for_the_rest_of_the_run(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makeconftest(
        """
        import pytest

        seen = []

        def pytest_tm_auth_authenticated(provider, token):
            seen.append(str(token.value))
            raise RuntimeError("the audit log is down")
        """
    )
    pytester.makepyfile(PRINTS_WHAT_THE_HOOK_SAW)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(failed=1, errors=1)
    result.stdout.fnmatch_lines(["*a hook or provider raised RuntimeError: the audit log is down*"])
    assert_hidden(output(result), markers=("LATER",))


@pytest.mark.parametrize("made", ["in the login", "before the run"])
def test_a_token_a_hook_made_is_hidden_before_any_hook_sees_it(
    pytester: pytest.Pytester, made: str
) -> None:
    pytester.makeconftest(
        f"""
        import logging

        from pytest_tm_auth import Token

        log = logging.getLogger("team")
        READY = Token.bearer("zephyr", "eyJ" + "demo-vault-token-not-real")

        def pytest_tm_auth_credentials(provider, config):
            if provider.name == "zephyr":
                return {{"zephyr_token": "demo-zephyr-setting-not-real"}}

        def pytest_tm_auth_authenticate(login):
            if {made == "before the run"}:
                return READY
            token = Token.bearer(login.provider.name, "eyJ" + "demo-sso-token-not-real")
            log.warning("MADE<%s>", token.value)
            return token

        def pytest_tm_auth_authenticated(provider, token):
            log.warning("AUTHENTICATED<%s>", token.value)
        """
    )
    pytester.makepyfile('def test_token(tm_auth):\n    assert tm_auth.token("zephyr")\n')

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--log-cli-level=INFO")

    result.assert_outcomes(passed=1)
    markers = ("MADE", "AUTHENTICATED") if made == "in the login" else ("AUTHENTICATED",)
    assert_hidden(output(result), markers=markers)


def test_the_hooks_log_is_written_at_all(pytester: pytest.Pytester, cloud_env: Sandbox) -> None:
    """Without redaction the markers hold the token: the tests above could fail."""
    redaction_off = ("-p", "no:tm_auth_redaction")
    result = run(pytester, "--log-file=run.log", "--log-file-level=INFO", *redaction_off)

    result.assert_outcomes(passed=2)
    logged = Path(pytester.path / "run.log").read_text()
    assert all(shown(logged, marker) for marker in MARKERS)


def test_a_token_refused_as_unsendable_stays_hidden_for_the_rest_of_the_run(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    unsendable = "eyJ" + "demo-tökén-unsendable-not-real"  # not ASCII: no header carries it
    cloud_env.add_faults(
        Fault(200, body=json.dumps(unsendable), content_type="application/json"),
        route="xray.authenticate",
    )
    pytester.makeconftest(
        """
        import pytest

        seen = []

        @pytest.hookimpl(wrapper=True)
        def pytest_tm_auth_authenticate(login):
            login.http.hooks["response"].append(lambda answer, *a, **k: seen.append(answer.json()))
            return (yield)
        """
    )
    pytester.makepyfile(PRINTS_WHAT_THE_HOOK_SAW)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(failed=1, errors=1)
    result.stdout.fnmatch_lines(["*the token holds a character that is not ASCII*"])
    assert_hidden(output(result), markers=("LATER",))
    assert "tökén" not in output(result)
