"""IT reads short sentences, in the UI's language, never a library's error text.

The errors are real: a closed port, a canned 503 and a hanging socket (the fault proxy), an
outbox on a path that cannot be a database, enrolment against a dead address. Each carries
its code from where it was raised; nothing reads the English text back.
"""

from __future__ import annotations

import re
import socket

import pytest
from PySide6.QtWidgets import QApplication

from kiosk.app import KioskApp, KioskOptions
from kiosk.core.config import Config, save_config
from kiosk.core.paths import default_paths
from kiosk.core.problems import ProblemCode
from kiosk.core.protocol import new_secret
from kiosk.services.memory_secrets import MemorySecretStore
from kiosk.store import Outbox, OutboxError
from kiosk.sync.client import SyncClient, SyncError
from kiosk.sync.clock_offset import ClockOffset
from kiosk.ui.i18n import describe_problem as describe
from kiosk.ui.i18n import install_translator
from tests.helpers.clock import FakeClock
from tests.helpers.faulty_proxy import FaultyProxy
from tests.helpers.live_server import live_server
from tests.helpers.ui import MONDAY_0850, enrolled_config, running_kiosk, seed_site

RAW = re.compile(r"HTTPConnectionPool|Max retries|NewConnectionError|Errno|Traceback")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _failure(url: str) -> SyncError:
    clock = FakeClock(MONDAY_0850)
    client = SyncClient([url], "t1", new_secret(), clock, ClockOffset(clock),
                        connect_timeout_s=1.0, read_timeout_s=0.3)
    try:
        with pytest.raises(SyncError) as info:
            client.get_time()
    finally:
        client.session.close()
    assert client.url_errors == {url: info.value}  # the per-URL outcome the panel lists
    return info.value


@pytest.fixture
def chinese(qapp):
    translator = install_translator(qapp, "zh_CN")
    assert translator is not None
    yield
    QApplication.removeTranslator(translator)


def _sentence(error: SyncError) -> str:
    """The sentence for the exception's code; the library's text stays in the log."""
    sentence = describe(error.problem)
    assert not RAW.search(sentence)
    return sentence


def test_connection_refused(qapp):
    port = _closed_port()
    error = _failure(f"http://127.0.0.1:{port}")
    assert "Max retries" in str(error)  # the raw text the panel used to show
    assert error.code is ProblemCode.REFUSED
    assert _sentence(error) == f"Server unreachable: connection refused (127.0.0.1:{port})"


def test_server_busy_and_timeout_and_drop(qapp):
    with FaultyProxy(_closed_port(), mode="respond") as proxy:
        proxy.response = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                          b"Connection: close\r\n\r\n")
        assert _sentence(_failure(proxy.url)) == "Server answered 503"
        proxy.set_mode("hang")
        assert _sentence(_failure(proxy.url)) == f"Server timed out (127.0.0.1:{proxy.port})"
        proxy.set_mode("drop")
        dropped = _sentence(_failure(proxy.url))
        assert dropped == f"Server closed the connection (127.0.0.1:{proxy.port})"


def test_sentences_in_chinese(chinese):
    port = _closed_port()
    assert describe(_failure(f"http://127.0.0.1:{port}").problem) == \
        f"无法连接服务器：连接被拒绝（127.0.0.1:{port}）"


def test_outbox_errors_by_type_in_chinese(tmp_path, chinese):
    (tmp_path / "outbox.sqlite3").mkdir()  # a folder where the database should be
    with pytest.raises(OutboxError) as info:
        Outbox(tmp_path / "outbox.sqlite3", FakeClock())
    problem = info.value.problem
    assert problem.code is ProblemCode.OUTBOX_READ_ONLY
    assert describe(problem) == "打卡存储无法写入：请检查数据文件夹的权限"


def test_panel_lists_every_server_and_says_the_problem_in_words(qtbot, tmp_path):
    clock = FakeClock(MONDAY_0850)
    store = MemorySecretStore()
    dead = f"http://127.0.0.1:{_closed_port()}"
    with live_server(tmp_path, clock=clock) as srv:
        site = seed_site(srv.admin)
        config, paths = enrolled_config(srv.url, site.code, tmp_path / "kiosk", store)
        config.server.urls = [dead, srv.url]  # the first is down: the kiosk fails over
        save_config(config, paths.config_file)
        with running_kiosk(qtbot, config, paths, store, clock) as app:
            servers = app.window.status_panel.fields["servers"]
            problem = app.window.status_panel.fields["problem"]
            dead_line = f"{dead} – Server unreachable: connection refused " \
                        f"({dead.removeprefix('http://')})"
            live_line = f"{srv.url} – reachable, in use"
            qtbot.waitUntil(lambda: servers.text() == f"{dead_line}\n{live_line}",
                            timeout=10000)
            srv.stop()
            app.submit(site.tokens["alice"], "wedge", 0.0)  # a punch to send: it fails
            qtbot.waitUntil(lambda: "Server unreachable: connection refused (127.0.0.1:"
                            in problem.text(), timeout=15000)
            assert not RAW.search(problem.text())
            assert "reachable, in use" not in servers.text()
            translator = install_translator(QApplication.instance(), "zh_CN")
            try:
                app.window.status_panel.show_status(app.status.status)
                assert "无法连接服务器：连接被拒绝（127.0.0.1:" in problem.text()
                assert servers.text().count("无法连接服务器：连接被拒绝") == 2
                fields = app.window.status_panel.fields
                assert fields["camera"].text().startswith("未知")  # no camera configured
                assert fields["oldest"].text().endswith(" 秒")
            finally:
                QApplication.removeTranslator(translator)


def test_enrolment_errors_in_chinese(qtbot, tmp_path, chinese):
    clock = FakeClock(MONDAY_0850)
    with live_server(tmp_path, clock=clock) as srv:
        paths = default_paths(tmp_path / "kiosk").ensure()
        config = Config()
        config.ui.sounds = False
        app = KioskApp(config, paths, MemorySecretStore(),
                       KioskOptions(fullscreen=False, camera=""), clock=clock)
        try:
            app.start()
            screen = app.enroll_screen
            qtbot.addWidget(screen)
            screen.url.setText(f"http://127.0.0.1:{_closed_port()}")
            screen.code.setText("WRNG-WRNG-WRNG-WRNG")
            screen.button.click()
            qtbot.waitUntil(lambda: screen.button.isEnabled(), timeout=10000)
            assert screen.message.text() == "无法连接服务器。请检查地址和网络。"
            screen.url.setText(srv.url)
            screen.button.click()
            qtbot.waitUntil(lambda: screen.button.isEnabled(), timeout=10000)
            assert screen.message.text().startswith("服务器拒绝了该登记码")
        finally:
            app.shutdown()
            app.wait_stopped()
