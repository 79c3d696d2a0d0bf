"""TLS over real HTTPS on loopback: a private CA, the bundle option, and its pitfalls.

A trustme CA signs the stand-in's certificate, as a corporate CA would; the machine's own
trust store does not know it. Another CA stands in for the unrelated bundle that CI images
often put in ``REQUESTS_CA_BUNDLE``.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from pytest_tm_auth.sandbox import Sandbox
from tests.environment import export

USES_TLS = """
def test_login_and_call(xray_token, xray_session):
    assert xray_session.post("graphql", json={"query": "{}"}).status_code == 200
"""


@dataclass(frozen=True)
class Pki:
    """The corporate CA's bundle, an unrelated CA's bundle, and a server ``ssl_context``."""

    ca_bundle: Path
    other_bundle: Path
    server: ssl.SSLContext
    ca: trustme.CA


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca, other = trustme.CA(), trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "corporate-ca.pem"))
    other.cert_pem.write_to_path(str(folder / "unrelated-ca.pem"))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    return Pki(folder / "corporate-ca.pem", folder / "unrelated-ca.pem", server, ca)


@pytest.fixture(scope="module")
def https_server(pki: Pki) -> Iterator[Sandbox]:
    with Sandbox(ssl_context=pki.server) as sandbox:
        yield sandbox


@pytest.fixture
def https(https_server: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """Xray Cloud configured against the HTTPS stand-in, counters reset."""
    https_server.reset()
    for name, value in https_server.env("cloud").items():
        if name.startswith("XRAY_"):
            monkeypatch.setenv(name, value)
    return https_server


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(USES_TLS)
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def test_the_ca_bundle_option_verifies_a_private_ca(
    pytester: pytest.Pytester, https: Sandbox, pki: Pki
) -> None:
    assert https.url.startswith("https://")

    result = run(pytester, f"--tm-auth-ca-bundle={pki.ca_bundle}")

    result.assert_outcomes(passed=1)
    assert https.count("xray.authenticate", status=200) == 1
    assert https.count("xray.graphql", status=200) == 1


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_the_ca_bundle_option_wins_over_a_bundle_in_the_environment(
    pytester: pytest.Pytester,
    https: Sandbox,
    pki: Pki,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    """requests lets these variables replace ``Session.verify``; a per-request verify wins."""
    monkeypatch.setenv(variable, str(pki.other_bundle))

    result = run(pytester, f"--tm-auth-ca-bundle={pki.ca_bundle}")

    result.assert_outcomes(passed=1)
    assert https.count("xray.graphql", status=200) == 1


def test_without_the_option_a_bundle_in_the_environment_still_applies(
    pytester: pytest.Pytester, https: Sandbox, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.ca_bundle))

    result = run(pytester)

    result.assert_outcomes(passed=1)
    assert https.count("xray.graphql", status=200) == 1


def test_an_untrusted_certificate_is_explained_in_one_line(
    pytester: pytest.Pytester, https: Sandbox
) -> None:
    result = run(pytester)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"Xray login failed at {https.url}/api/v2/authenticate: TLS certificate verification "
            "failed: the server's certificate is signed by a CA this machine does not trust — "
            "behind a corporate proxy or with a private CA, pass --tm-auth-ca-bundle PATH"
        ]
    )
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "SSLError" not in output
    assert https.count() == 0  # the handshake failed: no request reached the server
    assert https.connections == 1  # and it was not retried


def test_insecure_logs_in_and_warns_loudly(pytester: pytest.Pytester, https: Sandbox) -> None:
    result = run(pytester, "--tm-auth-insecure")

    result.assert_outcomes(passed=1, warnings=2)  # ours once, and urllib3's for the request
    result.stdout.fnmatch_lines(
        [
            "*InsecureTransportWarning: TLS verification is OFF (--tm-auth-insecure from the *",
            "*InsecureRequestWarning: Unverified HTTPS request *",
        ]
    )
    assert https.count("xray.graphql", status=200) == 1


def test_a_certificate_for_another_host_is_named(
    pytester: pytest.Pytester, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    pki.ca.issue_cert("xray.example.test").configure_cert(server)
    with Sandbox(ssl_context=server) as wrong_name:
        export(monkeypatch, wrong_name, "cloud")

        result = run(pytester, f"--tm-auth-ca-bundle={pki.ca_bundle}")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "Xray login failed at *: TLS certificate verification failed: the certificate is "
            "for another host name — check the host in the URL"
        ]
    )


def test_https_to_a_plain_http_port_is_named(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in sandbox.env("cloud").items():
        monkeypatch.setenv(name, value.replace("http://", "https://"))

    result = run(pytester)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "Xray login failed at https://*: TLS handshake failed: the server does not speak TLS "
            "at this port — check http:// versus https:// and the port in the URL"
        ]
    )
