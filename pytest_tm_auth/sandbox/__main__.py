"""``python -m pytest_tm_auth.sandbox``: serve the stand-in and print what to export."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from pytest_tm_auth.sandbox.demo import FLOWS
from pytest_tm_auth.sandbox.server import Sandbox

__all__ = ["main"]

FLOW_TITLES = {
    "cloud": "Xray, Zephyr Scale and Jira Cloud (classic API token)",
    "datacenter": "Xray, Zephyr Scale and Jira Data Center (personal access token)",
    "cloud-scoped": "Jira Cloud with a scoped API token, through the API gateway",
    "cloud-oauth": "Jira Cloud with a service account's OAuth 2.0 client credentials",
    "datacenter-oauth": "Data Center with an OAuth 2.0 client, one token for all three",
}


def _port(text: str) -> int:
    """A TCP port, 0 (any free one) to 65535; argparse turns the error into a usage line."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0 to 65535, not {port}")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_tm_auth.sandbox",
        description="Serve a local stand-in for Xray, Zephyr Scale and Jira with demo accounts.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port (default 0: any free port)")
    parser.add_argument(
        "--deployment",
        choices=FLOWS,
        default="cloud",
        help="which flow's variables to export (default cloud); the others are listed too",
    )
    return parser


def main(argv: Sequence[str] | None = None, *, stop: threading.Event | None = None) -> int:
    """Serve until Ctrl-C, SIGTERM or ``stop`` is set; exit status 0 on a clean stop."""
    args = _parser().parse_args(argv)
    try:
        sandbox = Sandbox(host=args.host, port=args.port)
        sandbox.start()
    except (ValueError, OverflowError, OSError) as exc:
        _parser().print_usage(sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = stop or threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        print(
            f"# pytest-tm-auth sandbox at {sandbox.url}; Jira Data Center at {sandbox.jira_dc_url}"
        )
        print("# demo credentials only: nothing here is a real secret")
        for name, value in sandbox.env(args.deployment).items():
            print(f"export {name}={shlex.quote(value)}")
        for flow in FLOWS:
            if flow != args.deployment:
                print(f"# --deployment {flow}: {FLOW_TITLES[flow]}")
                for name, value in sandbox.env(flow).items():
                    print(f"#   export {name}={shlex.quote(value)}")
        print("# press Ctrl-C (or send SIGTERM) to stop", flush=True)
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
