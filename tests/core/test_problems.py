"""Problem codes and their one sentence table (Qt-free: what the CLI prints)."""

from __future__ import annotations

import socket

import pytest
import requests

from kiosk.core.problem_text import SENTENCES, describe
from kiosk.core.problems import KioskError, Problem, ProblemCode, problem_of
from kiosk.core.protocol import new_secret
from kiosk.store import OutboxFullError
from kiosk.sync.client import SyncClient, TransportError, connection_code, host_port
from kiosk.sync.clock_offset import ClockOffset
from tests.helpers.clock import FakeClock


@pytest.mark.parametrize("code", list(ProblemCode))
def test_every_code_has_a_sentence(code: ProblemCode) -> None:
    assert code in SENTENCES
    assert describe(Problem(code, "x")) and "%1" not in describe(Problem(code, "x"))


def test_sentences_follow_the_code_and_argument_not_the_text() -> None:
    a = Problem(ProblemCode.REFUSED, "10.0.0.5:8443", "connection failed (whatever words)")
    b = Problem(ProblemCode.REFUSED, "10.0.0.5:8443", "entirely different words")
    assert describe(a) == describe(b) == \
        "Server unreachable: connection refused (10.0.0.5:8443)"
    assert describe(Problem(ProblemCode.TIMEOUT)) == "Server timed out"
    assert describe(Problem(ProblemCode.ENROL_REFUSED, "invalid_code")).startswith(
        "The server refused the code")
    assert describe(Problem(ProblemCode.ENROL_REFUSED, "rate_limited")) == \
        "The server refused the enrolment (rate_limited)."
    assert describe(None) == ""
    shouting = describe(Problem(ProblemCode.HTTP_STATUS, "503"), lambda _c, t: t.upper())
    assert shouting == "SERVER ANSWERED 503"  # the translator is the caller's


def test_codes_travel_with_the_exception() -> None:
    full = OutboxFullError("The disk holding the punch buffer is full, so ...")
    assert full.problem.code is ProblemCode.OUTBOX_FULL
    assert KioskError("x", code=ProblemCode.NO_SECRET, arg="t1").problem == \
        Problem(ProblemCode.NO_SECRET, "t1", "x")
    assert problem_of(ValueError("boom")) == Problem(ProblemCode.INTERNAL,
                                                     raw="ValueError: boom")
    assert ProblemCode.parse("a_code_from_a_newer_kiosk") is ProblemCode.UNKNOWN
    assert ProblemCode.parse("outbox_full") is ProblemCode.OUTBOX_FULL


def test_host_port() -> None:
    assert host_port("http://127.0.0.1:8080/") == "127.0.0.1:8080"
    assert host_port("https://attendance.example") == "attendance.example:443"
    assert host_port("http://attendance.example") == "attendance.example:80"


def _refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_a_real_failed_connection_is_classified_by_type() -> None:
    url = _refused_url()
    with pytest.raises(requests.ConnectionError) as info:
        requests.get(url, timeout=2)
    assert connection_code(info.value) is ProblemCode.REFUSED
    assert connection_code(requests.ReadTimeout("read timed out")) is ProblemCode.TIMEOUT
    assert connection_code(RuntimeError("no idea")) is ProblemCode.UNREACHABLE

    clock = FakeClock()
    client = SyncClient([url], "t1", new_secret(), clock, ClockOffset(clock),
                        connect_timeout_s=1.0, read_timeout_s=1.0)
    try:
        with pytest.raises(TransportError) as failed:
            client.get_time()
    finally:
        client.session.close()
    assert failed.value.problem.code is ProblemCode.REFUSED
    assert failed.value.problem.arg == url.removeprefix("http://")
