"""The load balancer examples in docs/examples/ (docs/deploy.md): they parse, and HAProxy's
really spreads terminals over two ``kiosk-server serve`` replicas and takes a killed one out.

The checks with ``haproxy -c`` and ``nginx -t`` run only where those are installed (they are
skipped with the reason otherwise); the example is run with its addresses and ports swapped
for 127.0.0.1 ones and without TLS.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from benchmarks.replicas import Replica, enrol, free_port
from kiosk.core.protocol import API_PREFIX
from server_stub.admin import Admin
from tests.helpers import databases

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
HAPROXY = EXAMPLES / "haproxy.cfg"
NGINX = EXAMPLES / "nginx.conf"


def _need(tool: str) -> str:
    path = shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")
    if not path:
        pytest.skip(f"{tool} is not installed here (apt-get install {tool}) to check the example")
    return path


def _self_signed_pem(path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kiosk.test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))


def test_both_examples_check_the_health_endpoint_of_two_replicas():
    for text in (HAPROXY.read_text(), NGINX.read_text()):
        assert "/api/v1/health" in text
        assert "10.0.0.11:8765" in text and "10.0.0.12:8765" in text
    assert "http-check expect status 200" in HAPROXY.read_text()


def test_the_haproxy_example_parses(tmp_path):
    haproxy = _need("haproxy")
    pem = tmp_path / "kiosk.pem"
    _self_signed_pem(pem)
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(HAPROXY.read_text().replace("/etc/haproxy/kiosk.pem", str(pem)))
    r = subprocess.run([haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_nginx_example_parses():
    nginx = _need("nginx")
    r = subprocess.run([nginx, "-t", "-c", str(NGINX)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr


def _local_haproxy_cfg(front: int, ports: tuple[int, int]) -> str:
    text = HAPROXY.read_text()
    text = re.sub(r"^\s*bind :443 .*\n", "", text, flags=re.M)
    text = re.sub(r"^\s*http-request redirect .*\n", "", text, flags=re.M)
    text = text.replace("bind :80", f"bind 127.0.0.1:{front}")
    text = text.replace("10.0.0.11:8765", f"127.0.0.1:{ports[0]}")
    return text.replace("10.0.0.12:8765", f"127.0.0.1:{ports[1]}")


@pytest.mark.slow
def test_haproxy_spreads_over_two_replicas_and_drops_a_killed_one(tmp_path):
    haproxy = _need("haproxy")
    with databases.postgres_database("lb") as url:
        admin = Admin.init(tmp_path / "data", database_url=url)
        admin.add_site("HQ", "Head office", "UTC")
        code = admin.add_terminal("Door", "HQ")
        a, b = Replica(tmp_path / "data"), Replica(tmp_path / "data")
        front = free_port()
        cfg = tmp_path / "haproxy.cfg"
        cfg.write_text(_local_haproxy_cfg(front, (a.port, b.port)))
        proxy = None
        try:
            a.start()
            b.start()
            proxy = subprocess.Popen([haproxy, "-f", str(cfg)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            lb = f"http://127.0.0.1:{front}"
            health = lb + API_PREFIX + "/health"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if requests.get(health, timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.1)
            assert enrol(lb, code)[0]  # a terminal enrols through the balancer
            a.kill()
            answers = [requests.get(health, timeout=10).status_code for _ in range(30)]
            assert answers == [200] * 30  # redispatched, then marked down: never an error
        finally:
            if proxy is not None:
                proxy.terminate()
                proxy.wait(10)
            a.stop()
            b.stop()
            admin.close()
