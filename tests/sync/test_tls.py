"""HTTPS between kiosk and server: a trusted CA, a pinned key, no plain http off-box."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import main as kiosk_main
from kiosk.core.clock import SystemClock
from kiosk.core.paths import default_paths
from kiosk.core.problems import ProblemCode
from kiosk.store import Outbox
from kiosk.sync.engine import SyncEngine
from kiosk.sync.enroll import EnrollError, enroll
from kiosk.sync.secrets import KeyringSecretStore
from kiosk.sync.tls import insecure_reason, spki_sha256
from tests.helpers.keyring_backend import MemoryKeyring
from tests.helpers.live_server import live_server, wait_for_http
from tests.helpers.tls import make_server_cert
from tests.sync.conftest import Terminal, fill


@pytest.fixture
def certs(tmp_path: Path):
    return make_server_cert(tmp_path / "tls"), make_server_cert(tmp_path / "other", "other")


@pytest.fixture
def https_server(tmp_path: Path, certs):
    good, _ = certs
    with live_server(tmp_path, tls=(good.cert, good.key)) as srv:
        assert srv.url.startswith("https://")
        yield srv


def _terminal(srv, home: Path, ca: Path, **tls) -> Terminal:
    srv.admin.add_site("HQ", "Head office")
    srv.admin.add_employee("E1", "Ana", "HQ")
    badge = srv.admin.issue_badge("E1")
    paths = default_paths(home).ensure()
    store = KeyringSecretStore(MemoryKeyring())
    config = enroll(srv.url, srv.admin.add_terminal("Door", "HQ"), paths, store,
                    tls={"ca_file": str(ca), **tls})
    return Terminal(paths, config, store, [(badge.badge_id, badge.token)])


def test_https_enrolment_and_uploads_with_the_ca_file(https_server, tmp_path, certs) -> None:
    good, _ = certs
    term = _terminal(https_server, tmp_path / "k", good.ca, pin_sha256=spki_sha256(good.der))
    assert term.config.sync.ca_file == str(good.ca) and term.config.sync.pin_sha256
    box = Outbox(term.paths.outbox_file, SystemClock())
    fill(box, term, 3)
    report = SyncEngine(term.tune(), box, term.secrets, SystemClock()).sync_once()
    assert report.ok and report.accepted == 3
    box.close()


@pytest.mark.parametrize("case", ["untrusted", "pin"])
def test_an_untrusted_certificate_or_a_pin_mismatch_sends_nothing(
    https_server, tmp_path, certs, case
) -> None:
    good, other = certs
    term = _terminal(https_server, tmp_path / "k", good.ca)
    box = Outbox(term.paths.outbox_file, SystemClock())
    fill(box, term, 2)
    cfg = term.config.model_copy(deep=True)
    if case == "untrusted":
        cfg.sync.ca_file = str(other.ca)  # another CA signed it
    else:
        cfg.sync.pin_sha256 = spki_sha256(other.der)  # trusted, but not the pinned key
    report = SyncEngine(cfg, box, term.secrets, SystemClock()).sync_once()
    assert report.error is not None and "the server's certificate is not trusted" in report.error
    assert report.problem.code is ProblemCode.TLS
    stats = box.stats()
    assert (stats.pending, stats.sent, stats.rejected) == (2, 0, 0)
    assert https_server.admin.export_punches() == []
    box.close()


def test_enrolment_refuses_an_untrusted_certificate(https_server, tmp_path, certs) -> None:
    good, other = certs
    https_server.admin.add_site("HQ", "Head office")
    code = https_server.admin.add_terminal("Door", "HQ")
    paths = default_paths(tmp_path / "k")
    for tls in ({"ca_file": str(other.ca)},
                {"ca_file": str(good.ca), "pin_sha256": spki_sha256(other.der)}):
        with pytest.raises(EnrollError, match="certificate is not trusted"):
            enroll(https_server.url, code, paths, KeyringSecretStore(MemoryKeyring()), tls=tls)
    assert not paths.config_file.exists()
    # The code was never spent (nothing was sent): it still works with the right CA.
    enroll(https_server.url, code, paths, KeyringSecretStore(MemoryKeyring()),
           tls={"ca_file": str(good.ca)})


def test_plain_http_only_to_loopback_unless_allowed(server, terminal: Terminal, tmp_path) -> None:
    assert insecure_reason("http://127.0.0.1:8765", False) is None
    assert insecure_reason("http://[::1]:8765", False) is None
    assert insecure_reason("http://localhost:8765", False) is None
    assert insecure_reason("https://kiosk.example:8443", False) is None
    assert "refused" in insecure_reason("http://192.0.2.1:8765", False)
    assert insecure_reason("http://192.0.2.1:8765", True) is None
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    fill(box, terminal, 1)
    cfg = terminal.tune(urls=["http://192.0.2.1:9", server.url])  # TEST-NET, then loopback
    report = SyncEngine(cfg, box, terminal.secrets, SystemClock()).sync_once()
    assert report.ok and report.accepted == 1  # the plain-http one was skipped, not tried
    with pytest.raises(EnrollError, match="not safe"):
        enroll("http://192.0.2.1:9", "ABCD-EFGH", default_paths(tmp_path / "x"),
               KeyringSecretStore(MemoryKeyring()))
    box.close()


def test_status_warns_about_allowed_insecure_http(terminal: Terminal, capsys) -> None:
    import json

    home = str(terminal.paths.config_dir.parent)
    for allowed in (False, True):
        terminal.tune(allow_insecure_http=allowed)
        capsys.readouterr()
        kiosk_main(["--home", home, "status", "--json"])
        warnings = json.loads(capsys.readouterr().out)["warnings"]
        assert any("allow_insecure_http" in w for w in warnings) is allowed, warnings
    # a remote plain-http URL: the panel's sentence for INSECURE_HTTP_ALLOWED
    terminal.tune(allow_insecure_http=True, urls=["http://10.0.0.5:8765"])
    capsys.readouterr()
    kiosk_main(["--home", home, "status"])
    out = capsys.readouterr().out
    assert "warning:     Warning: plain http:// to 10.0.0.5:8765 is allowed" in out, out


def test_serve_with_tls_files(tmp_path, certs) -> None:
    good, _ = certs
    data = tmp_path / "srv"
    from server_stub.cli import main as server_main

    assert server_main(["init", "--data", str(data)]) == 0
    bad = subprocess.run(
        [sys.executable, "-m", "server_stub.cli", "serve", "--data", str(data), "--port", "0",
         "--tls-cert", str(good.cert), "--tls-key", str(tmp_path / "missing.key")],
        capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "not found" in bad.stderr and "Traceback" not in bad.stderr
    proc = subprocess.Popen(
        [sys.executable, "-m", "server_stub.cli", "serve", "--data", str(data), "--port", "0",
         "--tls-cert", str(good.cert), "--tls-key", str(good.key), "--log-level", "warning"],
        stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "on https://127.0.0.1:" in line, line
        url = line.split(" on ", 1)[1].split(" ", 1)[0]
        import requests

        wait_for_http(url + "/api/v1/time", verify=str(good.ca))
        assert requests.get(url + "/api/v1/time", verify=str(good.ca), timeout=30).status_code \
            == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
