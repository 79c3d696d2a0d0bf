"""The login broker under pytest-xdist: its desks in the controller, its clients in workers.

The controller runs a :class:`Broker` (a :class:`~.lease.Desk` per provider behind a
:class:`~.channel.Server`); it asks the credentials hook and the token memory, and
holds every token and failure for the summary, but makes no network call itself. A worker
logs in through :class:`BrokeredLogin`: it asks the broker, and logs in itself only when
it holds the lease, inside the test set-up that first needed the provider.

Workers ask the broker two more things. Before its tests run, a worker posts plain data the
controller keeps (:class:`Poster`, :func:`keep`: the links results collected, in chunks).
And the run's rate budgets are the controller's: a worker asks for each permit and tells
each answer's news (:class:`BrokeredPermits`, :func:`rate_answer`), so every worker waits
for a 429 any of them got.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from multiprocessing.connection import Connection
from typing import Any

from pytest_tm_auth.core.accounts import Accounts, SharesAccount
from pytest_tm_auth.core.cache import LOGGED_IN, Issued, Outcome
from pytest_tm_auth.core.codec import (
    Data,
    decode_failure,
    decode_target,
    decode_token,
    encode_failure,
    encode_target,
    encode_token,
)
from pytest_tm_auth.core.errors import AuthError, MissingCredentials, RenewalsRefused, TmAuthError
from pytest_tm_auth.core.login_step import not_tried
from pytest_tm_auth.core.ratelimit import Budgets, WaitTooLong
from pytest_tm_auth.core.token import Token
from pytest_tm_auth.run.plugin_base import WHOLE
from pytest_tm_auth.run.state import ProviderRun
from pytest_tm_auth.run.xdist.channel import MAX_BYTES, Message, Server, connect, receive, send
from pytest_tm_auth.run.xdist.lease import Desk, fingerprint

SHARED = "shared from the controller"


def shared(token: Token, state: ProviderRun) -> Data:
    """The token and where it leads, as plain data."""
    answer: Data = {"token": encode_token(token)}
    if state.target is not None:
        answer["target"] = encode_target(state.target)
    return answer


def failed(failure: TmAuthError, state: ProviderRun) -> Data:
    return {"failure": encode_failure(failure, state.scrub)}


class ProviderOffice:
    """A provider's controller side: hook, memory and summary (the desk's ``Office``)."""

    def __init__(self, state: ProviderRun, accounts: Accounts) -> None:
        self._state = state
        self._accounts = accounts
        self._account: tuple[str, threading.RLock] | None = None

    def before_login(self) -> Data | None:
        state = self._state
        token = state.peek()
        if token is not None:  # the ssh fallback logged in already
            return shared(token, state)
        if state.failure is not None:
            return failed(state.failure, state)
        try:
            issued = state.login.before_login()
        except TmAuthError as failure:
            missing = isinstance(failure, MissingCredentials)
            state.cache.fail_with(failure, failed=not missing)
            return failed(failure, state)
        if issued is None:
            return None
        state.cache.seed(issued.token, issued.outcome)
        return shared(issued.token, state)

    def supplied(self) -> dict[str, Any]:
        return dict(self._state.configured.supplied)

    def grant(self) -> Data | None:
        """Hold the provider's Jira account for the lease: one refusal serves all three."""
        state, target = self._state, self._state.target
        if not isinstance(state.provider, SharesAccount) or target is None:
            return None
        key = state.provider.account(target, state.values)
        lock = self._accounts.lock(key)
        lock.acquire()  # released when the lease ends, in this same thread
        refused = self._accounts.refusal(key)
        if refused is None:
            self._account = key, lock
            return None
        lock.release()
        failure = not_tried(state.provider, target, refused)
        state.cache.fail_with(failure, failed=True)
        return failed(failure, state)

    def spend_renewal(self) -> Data | None:
        """The controller's cache holds the provider's renewal budget for every worker; it
        counts refused tokens, not one renewed ahead because it was about to lapse."""
        state = self._state
        token = state.peek()
        if token is not None and token.needs_renewal():
            return None
        try:
            state.cache.spend_renewal(token)
        except RenewalsRefused as failure:
            return failed(failure, state)
        return None

    def published(self, answer: Data | None, *, renewal: bool) -> None:
        try:
            if answer is not None:
                self._settle(answer, renewal=renewal)
        finally:
            self._release(answer)

    def _release(self, answer: Data | None) -> None:
        if self._account is None:
            return
        (key, lock), self._account = self._account, None
        failure = None if answer is None else answer.get("failure")
        if isinstance(failure, dict) and failure.get("kind") == "auth":
            refusal = decode_failure(failure)
            if isinstance(refusal, AuthError):
                self._accounts.refused(key, refusal)
        elif answer is not None:
            self._accounts.accepted(key)
        lock.release()

    def _settle(self, answer: Data, *, renewal: bool) -> None:
        state = self._state
        token = decode_token(answer.get("token"), state.name)
        if token is None:
            failure = decode_failure(answer["failure"])
            state.cache.fail_with(failure, failed=answer["failure"].get("kind") != "missing")
            return
        target = decode_target(answer.get("target"))
        if target is not None and state.target != target:  # a hook's, or the gateway
            state.configured.adopt(target)
        seconds = answer.get("seconds")
        retries = answer.get("retries")
        outcome = Outcome(
            LOGGED_IN,
            float(seconds) if isinstance(seconds, (int, float)) else 0.0,
            retries if isinstance(retries, str) else "",
        )
        state.cache.seed(token, outcome, renewal=renewal)
        state.login.keep(token)


class Broker:
    """The controller's broker: started before the first local worker, stopped with the run."""

    def __init__(
        self,
        states: Mapping[str, ProviderRun],
        budgets: Callable[[], Budgets] | None = None,
        posted: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        accounts = Accounts()  # one refused Jira account is tried once, across workers
        self.desks = {
            name: Desk(name, ProviderOffice(state, accounts)) for name, state in states.items()
        }
        self.server: Server | None = None
        #: The run's rate budgets: every worker's permits are taken here.
        self.budgets = budgets
        #: What workers posted before their tests ran, by kind (:class:`Poster`, :func:`keep`).
        self.posted = {} if posted is None else posted

    def contact(self) -> Message:
        """How a worker reaches the broker (starts it on the first call)."""
        if self.server is None:
            self.server = Server(self.serve)
        return self.server.contact()

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()

    def serve(self, connection: Connection) -> None:
        """One request: an answer, or a lease held until its token, failure or a close."""
        with connection:
            try:
                request = receive(connection)
            except (EOFError, OSError):
                return
            if request is not None and RATE in request and self.budgets is not None:
                with contextlib.suppress(EOFError, OSError):
                    send(connection, rate_answer(self.budgets(), request))
                return
            if request is not None and POST in request:
                with contextlib.suppress(EOFError, OSError):
                    send(connection, keep(self.posted, request))
                return
            desk = self.desks.get(str(request.get("provider"))) if request else None
            if request is None or desk is None:
                return
            held = request.get("held")
            held = held if isinstance(held, str) else None
            answer = desk.ask(str(request.get("worker", "?")), held)
            published: Message | None = None
            try:
                send(connection, answer)
                if answer.get("lease"):
                    published = receive(connection)
            except (EOFError, OSError):
                pass  # the worker went away: its lease (if any) is free again
            finally:
                if answer.get("lease"):
                    desk.publish(published, held)
            if published is not None:
                with contextlib.suppress(OSError):
                    send(connection, {"kept": True})  # the holder returns once all can see it


def _tell(connection: Connection, answer: Message) -> None:
    """Publish through the lease's connection; a broker gone away changes nothing here."""
    with contextlib.suppress(OSError, EOFError):
        send(connection, answer)
        receive(connection)  # the broker has it: every later question gets it


class BrokeredLogin:
    """A worker's login step: ask the broker; log in only when holding its lease."""

    def __init__(
        self, state: ProviderRun, contact: Message, worker: str, learn: Callable[..., None]
    ) -> None:
        self._state = state
        self._own = state.log_in  # the local path's: scrubbed output, expiry warning
        self._contact = contact
        self._worker = worker
        self._learn = learn

    def __call__(self, renewal: bool) -> Issued:
        held = self._state.peek() if renewal else None
        request = {
            "provider": self._state.name,
            "worker": self._worker,
            "held": None if held is None else fingerprint(str(held.header)),
        }
        try:
            connection = connect(self._contact)
        except OSError:
            return self._alone(renewal)
        with connection:
            try:
                send(connection, request)
                answer = receive(connection)
            except (EOFError, OSError):
                answer = None
            if answer is None:
                return self._alone(renewal)
            if answer.get("lease"):
                return self._log_in(connection, answer, renewal)
        return self._adopt(answer, renewal)

    def _alone(self, renewal: bool) -> Issued:
        return self._own(renewal)

    def _log_in(self, connection: Connection, lease: Message, renewal: bool) -> Issued:
        """Log in for every worker; a crash closes the connection, which frees the lease."""
        supplied = lease.get("supplied")
        self._state.configured.supply(supplied if isinstance(supplied, dict) else None, self._learn)
        try:
            issued = self._own(renewal)
        except TmAuthError as failure:
            _tell(connection, failed(failure, self._state))
            raise
        outcome = issued.outcome
        answer = shared(issued.token, self._state)
        answer |= {"seconds": outcome.seconds, "retries": outcome.retries}
        _tell(connection, answer)
        return issued

    def _adopt(self, answer: Message, renewal: bool) -> Issued:
        state = self._state
        token = decode_token(answer.get("token"), state.name)
        failure = answer.get("failure")
        if token is None:
            if isinstance(failure, dict):
                raise decode_failure(failure)
            return self._alone(renewal)
        target = decode_target(answer.get("target"))
        if target is not None and state.target != target:  # a hook's, or the gateway
            state.configured.adopt(target)
        return Issued(token, Outcome(SHARED))


#: The key of a posting in a message to the broker (its value: the posting's kind).
POST = "post"
#: A posting's data per message, in bytes of JSON: well within the channel's limit.
CHUNK_BYTES = MAX_BYTES // 4
#: The entries kept per kind: a run's journal holds no more results than this.
MAX_ENTRIES = 100_000


def keep(posted: dict[str, dict[str, Any]], request: Message) -> Message:
    """The broker's side: ``request``'s data added to what was posted of its kind."""
    kind, data = request.get(POST), request.get("data")
    if not isinstance(kind, str) or not isinstance(data, dict):
        return {"kept": False}
    kept = posted.setdefault(kind, {})
    new = {name: value for name, value in data.items() if name not in kept}
    if len(kept) + len(new) > MAX_ENTRIES:
        return {"kept": False}  # never noted whole: the controller knows it lacks some
    kept.update(new)
    if request.get("last") is True:
        posted.setdefault(WHOLE, {})[f"{kind} {request.get('worker')}"] = True
    return {"kept": True}


class Poster:
    """A worker's side: posts to the broker at ``contact`` as ``worker``."""

    def __init__(self, contact: Message, worker: str) -> None:
        self._contact = contact
        self._worker = worker

    def __call__(self, kind: str, data: Mapping[str, Any]) -> bool:
        """Post ``data`` as ``kind`` (nothing is posted too: that is all there was); whether
        the broker kept all of it."""
        pieces = list(chunks(data)) or [{}]
        for index, chunk in enumerate(pieces):
            message = {POST: kind, "data": chunk, "worker": self._worker}
            reply = ask(self._contact, message | {"last": index == len(pieces) - 1})
            if reply is None or reply.get("kept") is not True:
                return False
        return True


def ask(contact: Message, question: Message) -> Message | None:
    """A worker's one question to the broker at ``contact``: its answer, or ``None`` when it
    cannot be reached or hangs up (a post, a permit, news of a service's limits)."""
    try:
        with connect(contact) as connection:
            send(connection, question)
            return receive(connection)
    except (OSError, EOFError):
        return None


def chunks(data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """``data`` cut into dicts of at most :data:`CHUNK_BYTES` of JSON each (one entry over
    it goes alone)."""
    chunk: dict[str, Any] = {}
    size = 0
    for name, value in data.items():
        entry = len(json.dumps(name)) + len(json.dumps(value)) + 4  # ": " and ", "
        if chunk and size + entry > CHUNK_BYTES:
            yield chunk
            chunk, size = {}, 0
        chunk[name] = value
        size += entry
    if chunk:
        yield chunk


#: The key of a rate question in a message to the broker.
RATE = "rate"


def rate_answer(budgets: Budgets, request: Message) -> Message:
    """The broker's answer to a worker's rate question (a permit's wait, or news taken)."""
    service = str(request.get(RATE))
    news = request.get("learn")
    if isinstance(news, dict):
        budgets.learn(service, news)
        return {"ok": True}
    try:
        return {"wait": budgets.reserve(service)}
    except WaitTooLong as refused:
        return {"too_long": str(refused)}


class BrokeredPermits:
    """A worker's permits: asked of the broker; ``own`` budgets (this worker's alone) when
    the broker cannot be reached."""

    def __init__(self, contact: Message, own: Budgets) -> None:
        self._contact = contact
        self._own = own

    def reserve(self, service: str) -> float:
        reply = ask(self._contact, {RATE: service})
        refused = None if reply is None else reply.get("too_long")
        if isinstance(refused, str):
            raise WaitTooLong(refused)
        wait = None if reply is None else reply.get("wait")
        if isinstance(wait, (int, float)) and 0 <= wait < float("inf"):
            return float(wait)
        return self._own.reserve(service)

    def learn(self, service: str, news: Mapping[str, Any]) -> None:
        if ask(self._contact, {RATE: service, "learn": dict(news)}) is None:
            self._own.learn(service, news)


def share(budgets: Budgets, contact: Message) -> None:
    """In a worker: take every permit from the broker at ``contact``."""
    budgets.delegate(BrokeredPermits(contact, budgets.alone()))
