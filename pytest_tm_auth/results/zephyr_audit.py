"""``--tm-auth-check`` with Zephyr Scale publishing on: every test case key the selected
tests link exists, asked by listing each linked project's test cases a page at a time
(Cloud ``GET /v2/testcases?projectKey=``, 1000 a page; Data Center ``GET testcase/search``,
200 a page), never one request per key, and no further than the last key is found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pytest_tm_auth.core.text import inert
from pytest_tm_auth.core.urls import join
from pytest_tm_auth.results import zephyr_payload as zephyr
from pytest_tm_auth.results.answers import found_at
from pytest_tm_auth.results.model import ZEPHYR_KEY, PublishError

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Target
    from pytest_tm_auth.http.session import ApiSession

#: Test cases a page: Cloud's most, Data Center's search default.
PAGES = {"cloud": 1000, "datacenter": 200}
#: Pages read of one project at most (50,000 or 10,000 test cases).
PAGE_LIMIT = 50
TITLE = "Zephyr Scale"


def missing_cases(session: ApiSession, target: Target, keys: Sequence[str]) -> list[str]:
    """One line per key that is not a Zephyr Scale test case: malformed, or not listed."""
    problems = [
        f"{inert(key, 60)!r} is not a Zephyr Scale test case key"
        for key in keys
        if not ZEPHYR_KEY.fullmatch(key)
    ]
    wanted = {key for key in keys if ZEPHYR_KEY.fullmatch(key)}
    for project in sorted({key.rpartition("-")[0] for key in wanted}):
        own = {key for key in wanted if key.rpartition("-")[0] == project}
        listed = _listed(session, target, project, own)
        problems += [f"{key}: no such test case" for key in sorted(own - listed)]
    return problems


def _listed(session: ApiSession, target: Target, project: str, wanted: set[str]) -> set[str]:
    """The keys of ``wanted`` that ``project``'s test cases hold (paged until all found)."""
    from pytest_tm_auth.results.request import answer

    size = PAGES[target.deployment]
    doing = f"listing the test cases of {project}"
    found: set[str] = set()
    for page in range(PAGE_LIMIT):
        params: dict[str, Any] = {"maxResults": size, "startAt": page * size}
        if target.deployment == "cloud":
            params["projectKey"] = project
            url = join(target.api_url, "testcases")
            text = answer(session, "GET", url, doing, title=TITLE, params=params, changes=False)
            cases, last = zephyr.cloud_page(text or "", doing)
        else:
            params["query"] = f'projectKey = "{project}"'
            url = join(target.api_url, "testcase/search")
            text = answer(session, "GET", url, doing, title=TITLE, params=params, changes=False)
            cases = zephyr.datacenter_list(text or "", doing)
            last = len(cases) < size
        found |= {key for key in (found_at(case, "key") for case in cases) if key in wanted}
        if last or found == wanted:
            return found
    raise PublishError(f"{doing}: more than {PAGE_LIMIT} pages; not checked further")
