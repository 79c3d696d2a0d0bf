"""Collecting a run's results into the journal, through pytest itself: what each kind of
test makes of its result, under xdist too, and what a run without publishing never does."""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path

import pytest

from pytest_tm_auth.results import collect
from pytest_tm_auth.results.journal import JournalState, read_journal
from pytest_tm_auth.results.model import Result
from pytest_tm_auth.sandbox import Sandbox

PUBLISH = ("-p", "no:cacheprovider", "--xray-publish", "--tm-auth-journal=journal.jsonl")

KINDS = """
    import pytest

    pytestmark = pytest.mark.xray("DEMO-100")

    @pytest.fixture
    def broken():
        raise RuntimeError("fixture broke")

    @pytest.fixture
    def bad_teardown():
        yield
        raise RuntimeError("close failed")

    @pytest.mark.xray("DEMO-1", defects=["DEMO-9"])
    def test_passes(tm_result):
        tm_result.comment("looked at the page")
        tm_result.attach("page.html", "<p>hello</p>")

    @pytest.mark.xray(["DEMO-2", "DEMO-3"])
    def test_fails():
        assert 1 == 2

    def test_setup_error(broken):
        pass

    def test_teardown_error(bad_teardown):
        pass

    def test_skipped():
        pytest.skip("no network")

    @pytest.mark.xfail(reason="known bug")
    def test_xfailed():
        assert 0

    @pytest.mark.xfail(reason="fixed since")
    def test_xpassed():
        pass

    @pytest.mark.xray("DEMO-4")
    @pytest.mark.parametrize(("number", "word"), [(1, "one"), (2, "two")])
    def test_parametrized(number, word):
        pass

    @pytest.mark.xray("DEMO-5")
    class TestLinkedClass:
        def test_in_class(self):
            pass
"""


def journal(pytester: pytest.Pytester, name: str = "journal.jsonl") -> JournalState:
    return read_journal(pytester.path / name)


def by_name(state: JournalState) -> dict[str, Result]:
    return {result.nodeid.split("::")[-1]: result for result in state.results}


def evidence_text(result: Result, filename: str) -> str:
    found = [item for item in result.evidence if item.filename == filename]
    assert len(found) == 1, result.evidence
    return base64.b64decode(found[0].data).decode()


def test_every_kind_of_outcome_lands_in_the_journal(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_kinds=KINDS)
    result = pytester.runpytest(*PUBLISH, "-p", "no:xdist")
    result.assert_outcomes(passed=5, failed=1, errors=2, skipped=1, xfailed=1, xpassed=1)
    results = by_name(journal(pytester))
    assert {name: found.outcome for name, found in results.items()} == {
        "test_passes": "passed",
        "test_fails": "failed",
        "test_setup_error": "error",
        "test_teardown_error": "error",
        "test_skipped": "skipped",
        "test_xfailed": "xfailed",
        "test_xpassed": "xpassed",
        "test_parametrized[1-one]": "passed",
        "test_parametrized[2-two]": "passed",
        "test_in_class": "passed",
    }
    assert results["test_passes"].links == {"xray": ("DEMO-1", "DEMO-100")}
    assert results["test_passes"].defects == ("DEMO-9",)
    assert results["test_fails"].links == {"xray": ("DEMO-2", "DEMO-3", "DEMO-100")}
    assert results["test_in_class"].links == {"xray": ("DEMO-5", "DEMO-100")}
    assert results["test_fails"].comment == "assert 1 == 2"
    assert results["test_setup_error"].comment == "setup error: RuntimeError: fixture broke"
    assert results["test_teardown_error"].comment == "teardown error: RuntimeError: close failed"
    assert results["test_skipped"].comment == "Skipped: no network"
    assert results["test_xfailed"].comment == "xfailed: known bug"
    assert results["test_passes"].comment == "looked at the page"
    assert evidence_text(results["test_passes"], "page.html") == "<p>hello</p>"
    assert results["test_passes"].evidence[0].content_type == "text/html"
    assert all(r.start <= r.finish for r in results.values())


def test_parametrized_variants_are_iterations_with_their_parameters(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_params="""
        import pytest

        class Unprintable:
            def __repr__(self):
                raise ValueError("no repr")

        @pytest.mark.xray("DEMO-4")
        @pytest.mark.parametrize("value", ["x" * 1000, Unprintable()], ids=["long", "odd"])
        def test_variant(value):
            pass
        """
    )
    pytester.runpytest(*PUBLISH, "-p", "no:xdist").assert_outcomes(passed=2)
    long, odd = journal(pytester).results
    assert (long.test, long.iteration, odd.iteration) == (
        "test_params.py::test_variant",
        "long",
        "odd",
    )
    ((name, shown),) = long.parameters
    assert name == "value"
    assert shown.startswith("'xxxx")
    assert len(shown) <= 200
    assert odd.parameters == (("value", "<Unprintable object: repr() raised ValueError>"),)


def test_a_key_on_several_tests_and_several_keys_per_test_are_all_kept(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_shared="""
        import pytest

        @pytest.mark.xray("DEMO-1", "DEMO-2")
        def test_one():
            pass

        @pytest.mark.xray("DEMO-1")
        @pytest.mark.xray("DEMO-1", "DEMO-3")
        def test_two():
            pass
        """
    )
    pytester.runpytest(*PUBLISH, "-p", "no:xdist").assert_outcomes(passed=2)
    one, two = journal(pytester).results
    assert one.links == {"xray": ("DEMO-1", "DEMO-2")}
    assert two.links == {"xray": ("DEMO-1", "DEMO-3")}


@pytest.mark.parametrize(
    ("marker", "said"),
    [
        ('"demo-1"', "key 'demo-1' is not a Jira issue key"),
        ("", "names no test key"),
        ("[]", "names no test key"),
        ("42", "key 42 is not a Jira issue key"),
        ('"DEMO-1", defects="DEMO-2"', "defects= must be a list of keys"),
        ('"DEMO-1", defects=["bug"]', "defect 'bug' is not a Jira issue key"),
        ('"DEMO-1", tests=["DEMO-2"]', "takes no tests="),
    ],
)
def test_a_malformed_link_stops_the_run_before_any_test(
    pytester: pytest.Pytester, marker: str, said: str
) -> None:
    pytester.makepyfile(
        test_first="def test_runs_first():\n    open('ran', 'w').close()\n",
        test_linked=f"import pytest\n\n@pytest.mark.xray({marker})\ndef test_bad():\n    pass\n",
    )
    result = pytester.runpytest(*PUBLISH, "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([f"test_linked.py::test_bad: @pytest.mark.xray *{said}*"])
    assert not (pytester.path / "ran").exists()
    assert not (pytester.path / "journal.jsonl").exists()


def test_a_malformed_link_stops_an_xdist_run_too(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_first="def test_runs_first():\n    open('ran', 'w').close()\n",
        test_linked="import pytest\n\n@pytest.mark.xray('DEMO_1')\ndef test_bad():\n    pass\n",
    )
    result = pytester.runpytest_subprocess(*PUBLISH, "-n", "2")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*test_linked.py::test_bad: @pytest.mark.xray key 'DEMO_1'*"])
    assert not (pytester.path / "ran").exists()


KEY_WITH_A_SECRET = """
    import os

    import pytest

    class Ticket:
        def __repr__(self):
            return f"Ticket({os.environ['XRAY_CLIENT_SECRET']})"

    @pytest.mark.xray(Ticket())
    def test_bad():
        pass
"""


@pytest.mark.parametrize("workers", [("-n", "2"), ("-p", "no:xdist")], ids=["n2", "alone"])
def test_a_malformed_links_collection_error_shows_no_secret(
    pytester: pytest.Pytester, cloud_env: Sandbox, workers: tuple[str, str]
) -> None:
    """The error names the key by its repr, made after pytest's own collection report (and
    its scrubbing): scrubbed there, before the terminal or ``--junitxml`` read it."""
    pytester.makepyfile(test_linked=KEY_WITH_A_SECRET)
    result = pytester.runpytest_subprocess(*PUBLISH, *workers, "--junitxml=report.xml")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*test_linked.py::test_bad: @pytest.mark.xray key Ticket(***)*"])
    secret = os.environ["XRAY_CLIENT_SECRET"]
    assert secret not in result.stdout.str() + result.stderr.str()
    assert "Ticket(***)" in (pytester.path / "report.xml").read_text()
    assert secret not in (pytester.path / "report.xml").read_text()


def test_a_malformed_links_collection_error_keeps_what_the_module_printed(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_linked="import pytest\n\nprint('loaded the module')\n\n"
        "@pytest.mark.xray('DEMO_1')\ndef test_bad():\n    pass\n"
    )
    result = pytester.runpytest(*PUBLISH, "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*Captured stdout*", "loaded the module"])


UNITTEST_CASES = """
    import unittest

    import pytest

    @pytest.mark.xray("DEMO-7")
    class Cases(unittest.TestCase):
        def test_passes(self):
            pass

        @pytest.mark.xray("DEMO-8")
        def test_fails(self):
            self.fail("boom")
"""


def test_a_unittest_case_is_linked_by_its_class_and_its_methods(pytester: pytest.Pytester) -> None:
    """pytest applies marks to ``unittest.TestCase`` methods too, which it collects
    without ``pytest_pycollect_makeitem``: their links are read from the class's report."""
    pytester.makepyfile(test_cases=UNITTEST_CASES)
    result = pytester.runpytest(*PUBLISH, "-p", "no:xdist")
    result.assert_outcomes(passed=1, failed=1)
    results = by_name(journal(pytester))
    assert {name: (found.links, found.outcome) for name, found in results.items()} == {
        "test_passes": ({"xray": ("DEMO-7",)}, "passed"),
        "test_fails": ({"xray": ("DEMO-8", "DEMO-7")}, "failed"),
    }


def test_without_publishing_a_malformed_marker_is_only_a_marker(
    pytester: pytest.Pytester,
) -> None:
    """The marker is registered (``--strict-markers``); its keys are checked only when
    publishing, so a run that publishes nothing is never stopped by one."""
    pytester.makepyfile("import pytest\n\n@pytest.mark.xray('bad')\ndef test_x():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers", "-p", "no:xdist")
    result.assert_outcomes(passed=1)
    markers = pytester.runpytest("--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.xray(*keys, defects=[]): link the test's *"])


def test_a_run_without_publishing_imports_nothing_of_results_and_writes_no_journal(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(
        test_inner="""
        import json
        import sys

        import pytest

        @pytest.mark.xray("DEMO-1")
        def test_report_results_modules():
            loaded = sorted(n for n in sys.modules if n.startswith("pytest_tm_auth.results"))
            print("RESULTS=" + json.dumps(loaded))
        """
    )
    result = pytester.runpytest_subprocess("-s", "-p", "no:xdist")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*RESULTS=[[][]]*"])
    cache = pytester.path / ".pytest_cache"
    assert cache.is_dir()  # the cache plugin ran, and wrote no journal
    assert not list(cache.rglob("*tm-auth*"))
    assert not list(pytester.path.rglob("journal-*"))
    assert cloud_env.count() == 0


def test_no_linked_test_selected_means_no_journal(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(REPORT_JOURNAL_PATH)
    pytester.makepyfile("def test_unlinked():\n    pass\n")
    pytester.runpytest("--xray-publish", "-p", "no:xdist").assert_outcomes(passed=1)
    assert (pytester.path / "journal-path.txt").read_text() == "None"
    assert not list(pytester.path.rglob("journal-*.jsonl"))


#: A conftest that says where the collector put the journal, as publishing will ask.
REPORT_JOURNAL_PATH = """
    import pytest

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(session):
        collector = session.config.pluginmanager.get_plugin("tm_auth_results")
        assert collector.services == ("xray",)
        with open("journal-path.txt", "w") as out:
            out.write(str(collector.journal_path))
"""


def test_the_journal_goes_under_the_cache_and_its_header_holds_the_settings(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(REPORT_JOURNAL_PATH)
    pytester.makepyfile("import pytest\n\n@pytest.mark.xray('DEMO-1')\ndef test_x():\n    pass\n")
    monkeypatch.setenv("XRAY_SUMMARY", "Nightly demo run")
    args = ("--xray-publish", "--xray-project=DEMO", "--xray-test-environments=linux, py3.13")
    pytester.runpytest(*args, "-p", "no:xdist").assert_outcomes(passed=1)
    path = Path((pytester.path / "journal-path.txt").read_text())
    assert path.parent == pytester.path / ".pytest_cache" / "d" / "tm-auth"
    assert path.name.startswith("journal-")
    assert path.suffix == ".jsonl"
    assert path.stat().st_mode & 0o777 == 0o600
    header = read_journal(path).header
    assert header["label"] == "tm-auth-" + header["run"]
    assert len(header["run"]) == 12
    assert header["services"]["xray"] == {
        "project": "DEMO",
        "test_execution": None,
        "test_plan": None,
        "environments": ["linux", "py3.13"],
        "fix_version": None,
        "revision": None,
        "summary": "Nightly demo run",
        "statuses": None,
    }
    assert header["rootdir"] == str(pytester.path)


def test_without_the_cache_the_journal_goes_to_a_private_folder(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(REPORT_JOURNAL_PATH)
    pytester.makepyfile("import pytest\n\n@pytest.mark.xray('DEMO-1')\ndef test_x():\n    pass\n")
    result = pytester.runpytest("--tm-auth-dry-run", "-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=1)
    path = Path((pytester.path / "journal-path.txt").read_text())
    assert path.parent.name.startswith("pytest-tm-auth-")
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert len(read_journal(path).results) == 1


def test_a_switch_in_a_dotenv_file_is_a_usage_error_naming_it(pytester: pytest.Pytester) -> None:
    (pytester.path / ".env").write_text("XRAY_PUBLISH=true\n", encoding="utf-8")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*XRAY_PUBLISH is turned on in *.env, but --xray-publish is read when the run starts*"]
    )


def test_the_settings_are_in_the_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        ["*--xray-publish*", "*--tm-auth-journal=PATH*", "*--tm-auth-attach-output*"]
    )


def test_evidence_and_comments_over_the_caps_are_dropped_and_said(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collect, "EVIDENCE_BYTES_PER_RUN", 25)
    pytester.makepyfile(
        test_caps="""
        import pytest

        @pytest.mark.xray("DEMO-1")
        @pytest.mark.parametrize("n", range(3))
        def test_attach(tm_result, n):
            tm_result.attach("ten.bin", b"x" * 10)
            for _ in range(21):
                tm_result.attach("one.txt", "y")

        @pytest.mark.xray("DEMO-2")
        def test_wrong_type(tm_result):
            tm_result.attach("x.bin", 42)
        """
    )
    result = pytester.runpytest(*PUBLISH, "-p", "no:xdist")
    result.assert_outcomes(passed=3, failed=1)
    first, second, third, wrong = journal(pytester).results
    # 20 files kept of 22 by the test's cap, then 25 bytes of them by the run's (10 + 15).
    assert [len(r.evidence) for r in (first, second, third)] == [16, 0, 0]
    assert list(first.dropped[:2]) == ["evidence 'one.txt' dropped: over 20 files per test"] * 2
    assert list(first.dropped[2:]) == ["evidence 'one.txt' dropped: over 25 bytes per run"] * 4
    assert "evidence 'ten.bin' dropped: over 25 bytes per run" in third.dropped
    assert "TypeError: tm_result.attach: data must be bytes or str, not int" in wrong.comment


def test_captured_output_is_evidence_of_failed_tests_only_when_asked(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_output="""
        import pytest

        @pytest.mark.xray("DEMO-1")
        def test_fails():
            print("what the test printed")
            assert False

        @pytest.mark.xray("DEMO-2")
        def test_passes():
            print("not attached")
        """
    )
    pytester.runpytest(*PUBLISH, "-p", "no:xdist", "--tm-auth-attach-output")
    failed, passed = journal(pytester).results
    assert "what the test printed" in evidence_text(failed, "output.txt")
    assert passed.evidence == ()
    (pytester.path / "journal.jsonl").unlink()
    pytester.runpytest(*PUBLISH, "-p", "no:xdist")
    assert [r.evidence for r in journal(pytester).results] == [(), ()]


def test_a_rerun_that_passes_the_second_time_is_one_passed_result(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_flaky="""
        import pathlib

        import pytest

        @pytest.mark.xray("DEMO-1")
        def test_flaky(tm_result):
            mark = pathlib.Path("tried")
            tm_result.comment("attempt " + str(mark.exists() + 1))
            if not mark.exists():
                mark.touch()
                assert False, "first attempt"
        """
    )
    result = pytester.runpytest(*PUBLISH, "-p", "no:xdist", "--reruns", "2")
    assert result.parseoutcomes() == {"passed": 1, "rerun": 1}
    (flaky,) = journal(pytester).results
    assert (flaky.outcome, flaky.comment) == ("passed", "attempt 2")


def test_a_failed_subtest_fails_the_linked_test(pytester: pytest.Pytester) -> None:
    if not hasattr(pytest, "Subtests"):
        pytest.importorskip("pytest_subtests")
    pytester.makepyfile(
        test_sub="""
        import pytest

        @pytest.mark.xray("DEMO-1")
        def test_cases(subtests):
            for n in range(3):
                with subtests.test(msg=f"case {n}"):
                    assert n != 1
        """
    )
    pytester.runpytest(*PUBLISH, "-p", "no:xdist")
    (cases,) = journal(pytester).results
    assert cases.outcome == "failed"
    assert cases.comment.startswith("subtest case 1: assert 1 != 1")


def test_under_xdist_the_controller_journals_every_result_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_kinds=KINDS)
    result = pytester.runpytest_subprocess(*PUBLISH, "-n", "2")
    result.assert_outcomes(passed=5, failed=1, errors=2, skipped=1, xfailed=1, xpassed=1)
    results = by_name(journal(pytester))
    assert len(journal(pytester).results) == len(results) == 10
    assert results["test_setup_error"].outcome == "error"
    assert evidence_text(results["test_passes"], "page.html") == "<p>hello</p>"
    assert results["test_parametrized[2-two]"].parameters == (("number", "2"), ("word", "'two'"))


def test_dist_each_journals_each_workers_result(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_kinds=KINDS)
    pytester.runpytest_subprocess(*PUBLISH, "-n", "2", "--dist", "each")
    results = journal(pytester).results
    assert len(results) == 20
    assert sorted(r.outcome for r in results).count("error") == 4


LEAKY = """
    import os
    import pathlib

    import pytest

    SECRET = os.environ["XRAY_CLIENT_SECRET"]

    @pytest.mark.xray("DEMO-1")
    @pytest.mark.parametrize("value", [SECRET])
    def test_leaks(xray_token, tm_result, value):
        pathlib.Path("token.txt").write_text(str(xray_token))
        tm_result.comment(f"token {xray_token} secret {value}")
        tm_result.attach("leak.txt", f"{xray_token} {value}")
        print("printed", xray_token, value)
        assert xray_token == value
"""


@pytest.mark.parametrize("workers", [("-n", "2"), ("-p", "no:xdist")], ids=["n2", "alone"])
def test_no_token_and_no_secret_reach_the_journal(
    pytester: pytest.Pytester, cloud_env: Sandbox, workers: tuple[str, str]
) -> None:
    pytester.makepyfile(test_leaky=LEAKY)
    result = pytester.runpytest_subprocess(*PUBLISH, *workers, "--tm-auth-attach-output")
    result.assert_outcomes(failed=1)
    token = (pytester.path / "token.txt").read_text()
    secret = os.environ["XRAY_CLIENT_SECRET"]
    (leaky,) = journal(pytester).results
    assert leaky.outcome == "failed"
    assert {e.filename for e in leaky.evidence} == {
        "leak.txt",
        "output.txt",
    }
    text = (pytester.path / "journal.jsonl").read_text()
    decoded = [base64.b64decode(e.data).decode() for e in leaky.evidence]
    for found in (text, *decoded, json.dumps(leaky.to_data())):
        assert token not in found
        assert secret not in found
    assert "printed" in decoded[1]
    assert "assert" in leaky.comment


def test_a_killed_run_leaves_a_journal_with_the_results_before(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_killed="""
        import os
        import signal

        import pytest

        @pytest.mark.xray("DEMO-1")
        @pytest.mark.parametrize("n", range(10))
        def test_numbered(n):
            if n == 5:
                os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = pytester.runpytest_subprocess(*PUBLISH)
    assert result.ret == -9 if sys.platform != "win32" else result.ret != 0
    state = journal(pytester)
    assert [r.iteration for r in state.results] == ["0", "1", "2", "3", "4"]


def test_a_journal_path_that_exists_or_has_no_folder_stops_the_run_at_start(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile("import pytest\n\n@pytest.mark.xray('DEMO-1')\ndef test_x():\n    pass\n")
    (pytester.path / "journal.jsonl").write_text("kept\n")
    result = pytester.runpytest(*PUBLISH, "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*the journal *journal.jsonl exists already: a journal is never*"])
    assert (pytester.path / "journal.jsonl").read_text() == "kept\n"
    result = pytester.runpytest("--xray-publish", "--tm-auth-journal=missing/j.jsonl")
    result.stderr.fnmatch_lines(["*the folder of the journal missing*j.jsonl does not exist*"])


@pytest.mark.parametrize("where", ["environment", "ini"])
def test_the_switch_works_from_the_environment_and_the_ini_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    pytester.makepyfile("import pytest\n\n@pytest.mark.xray('DEMO-1')\ndef test_x():\n    pass\n")
    if where == "environment":
        monkeypatch.setenv("XRAY_PUBLISH", "1")
    else:
        pytester.makeini("[pytest]\nxray_publish = true\n")
    args = ("-p", "no:cacheprovider", "-p", "no:xdist", "--tm-auth-journal=journal.jsonl")
    pytester.runpytest(*args).assert_outcomes(passed=1)
    assert [r.links for r in journal(pytester).results] == [{"xray": ("DEMO-1",)}]


def test_a_dry_run_imports_no_http_client(pytester: pytest.Pytester) -> None:
    """A dry run sends nothing: it never pays for importing requests and urllib3."""
    pytester.makeconftest(
        """
        import json
        import sys

        def pytest_unconfigure(config):
            loaded = sorted(n for n in ("requests", "urllib3") if n in sys.modules)
            open("loaded.json", "w").write(json.dumps(loaded))
        """
    )
    pytester.makepyfile("import pytest\n\n@pytest.mark.xray('DEMO-1')\ndef test_x():\n    pass\n")
    result = pytester.runpytest_subprocess(*PUBLISH, "--tm-auth-dry-run", "-p", "no:xdist")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["xray: dry run: 1 result*"])
    assert json.loads((pytester.path / "loaded.json").read_text()) == []


def test_a_secret_in_a_passing_tests_node_id_is_not_journaled(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """The common result (a plain passing test) is scrubbed too: here its folder's name."""
    secret = os.environ["XRAY_CLIENT_SECRET"]
    folder = pytester.mkdir(secret)
    (folder / "test_plain.py").write_text(
        "import pytest\n\n@pytest.mark.xray('DEMO-1')\ndef test_x():\n    pass\n"
    )
    result = pytester.runpytest_subprocess(*PUBLISH, "--tm-auth-dry-run", "-p", "no:xdist")
    result.assert_outcomes(passed=1)
    (plain,) = journal(pytester).results
    assert plain.outcome == "passed"
    assert secret not in plain.nodeid
    assert secret not in (pytester.path / "journal.jsonl").read_text()
