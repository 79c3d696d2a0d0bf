"""What the user sees: the report header and the terminal summary, one line per provider.

Only provider, deployment, URL and the source of each credential are shown; identifiers
are masked and secrets never appear.
"""

from __future__ import annotations

from pytest_tm_auth.core.cache import FAILED, LOGGED_IN
from pytest_tm_auth.core.login_step import HOOK
from pytest_tm_auth.core.values import Source, mask
from pytest_tm_auth.run.state import ProviderRun, credential_expiry, expiry_note


def header_line(state: ProviderRun, hooked: str = "") -> str:
    """``xray cloud https://xray.cloud.getxray.app (client id 32A2…E8E7 from env, ...)``.

    ``hooked`` says where a credentials hook is implemented (``conftest.py``), if any.
    """
    name = state.name
    target = state.target
    if target is None:
        if hooked:
            return f"{name} credentials from {Source(HOOK, hooked)} on first use"
        return f"{name} not configured"
    parts = []
    for setting_name in target.credentials:
        setting = state.values.setting(setting_name)
        value = state.values.text(setting_name) or ""
        shown = "" if setting.secret else f" {mask(value)}"
        source = state.values.source(setting_name)
        came = str(source) if source.kind == HOOK else source.kind
        parts.append(f"{setting.title}{shown} from {came}")
    note = expiry_note(credential_expiry(state.provider, state.values))
    if note:
        parts.append(note)
    if hooked and not state.configured.supplied:
        parts.append(f"or from {Source(HOOK, hooked)} on first use")
    sources = f" ({', '.join(parts)})" if parts else ""
    return f"{name} {target.deployment} {target.url}{sources}"


def summary_line(state: ProviderRun) -> str | None:
    """The provider's line in the terminal summary, or ``None`` when the run never used it."""
    name = state.name
    if state.skipped:
        reason = str(state.missing or state.failure or "credentials not set")
        return f"{name}: skipped {state.skipped} test{'s' * (state.skipped != 1)}: {reason}"
    failure = state.failure
    if failure is not None and state.outcome is not None and state.outcome.how == FAILED:
        return f"{name}: failed: {failure}"
    if state.failed_tests and state.missing is not None:
        count = state.failed_tests
        return f"{name}: failed {count} test{'s' * (count != 1)}: {state.missing}"
    outcome = state.outcome
    if outcome is None:
        return None
    token = state.peek()
    expiry = token.describe_expiry() if token is not None else ""
    if outcome.how == LOGGED_IN:
        line = f"{name}: authenticated in {outcome.seconds:.2f} s"
    else:
        line = f"{name}: {outcome.how}"
    target = state.target
    if target is not None and target.deployment.endswith(" via gateway"):
        line += " via gateway"
    if expiry:
        line += f" ({expiry})"
    if outcome.retries:
        line += f", {outcome.retries}"
    if state.renewals:
        line += f", renewed {state.renewals} time{'s' * (state.renewals != 1)}"
    return line
