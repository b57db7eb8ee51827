"""TLS for the kiosk: certificate checks, an optional public-key pin, no plain http off-box.

- The server's certificate is checked against the system store, or ``[sync] ca_file``.
- ``[sync] pin_sha256``: the SHA-256 (hex) of the certificate's public key (its DER
  SubjectPublicKeyInfo, what ``openssl x509 -pubkey | openssl pkey -pubin -outform der |
  sha256sum`` prints). Checked on every new connection *before* a byte of the request is
  sent, so a server with another key never sees a badge token.
- ``http://`` is refused to any host that is not loopback unless ``[sync]
  allow_insecure_http = true`` (shown as a warning by ``kiosk status`` and the panel).
"""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPSConnectionPool

from kiosk.core.problems import Problem, ProblemCode

NOT_TRUSTED = "the server's certificate is not trusted"


class PinMismatch(ssl.SSLCertVerificationError):
    """The certificate verified, but its public key is not the pinned one."""


def spki_sha256(der_certificate: bytes) -> str:
    """SHA-256 (hex) of a DER certificate's SubjectPublicKeyInfo: the value to pin."""
    cert = x509.load_der_x509_certificate(der_certificate)
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def is_loopback_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def insecure_allowed(urls: Sequence[str], allow_insecure_http: bool) -> Problem | None:
    """The warning when ``[sync] allow_insecure_http`` lets plain http:// reach a host that
    is not loopback (the panel and ``kiosk status`` show it); None otherwise."""
    hosts = [urlsplit(u).netloc or u for u in urls
             if u.startswith("http://") and not is_loopback_url(u)]
    if not allow_insecure_http or not hosts:
        return None
    arg = ", ".join(hosts)[:200]
    return Problem(ProblemCode.INSECURE_HTTP_ALLOWED, arg,
                   f"plain http:// to {arg} is allowed ([sync] allow_insecure_http = true): "
                   "punches and answers travel unencrypted")


def insecure_reason(url: str, allow_insecure_http: bool) -> str | None:
    """Why ``url`` must not be used, or None: plain http only to loopback, unless allowed."""
    if url.startswith("https://") or allow_insecure_http or is_loopback_url(url):
        return None
    host = urlsplit(url).netloc or url
    return (f"plain http:// to {host} is refused (not loopback): use https://, or set "
            "[sync] allow_insecure_http = true")


def _pinned_pool(pins: frozenset[str]) -> type[HTTPSConnectionPool]:
    class PinnedConnection(HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            der = self.sock.getpeercert(binary_form=True) if self.sock else None  # type: ignore[union-attr]
            if not der or spki_sha256(der) not in pins:
                self.close()
                raise PinMismatch(f"{NOT_TRUSTED}: its public key does not match "
                                  "[sync] pin_sha256")

    class PinnedPool(HTTPSConnectionPool):
        ConnectionCls = PinnedConnection

    return PinnedPool


class PinnedAdapter(HTTPAdapter):
    """An HTTPS adapter whose connections check the server's public key against pins."""

    def __init__(self, pins: frozenset[str], **kwargs: Any) -> None:
        self._pool_cls = _pinned_pool(pins)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            **self.poolmanager.pool_classes_by_scheme, "https": self._pool_cls}


def parse_pins(text: str) -> frozenset[str]:
    """``pin_sha256`` as a set: hex digits, ``:`` allowed between bytes, commas between pins."""
    return frozenset(p.strip().replace(":", "").lower() for p in text.split(",") if p.strip())


def make_session(pin_sha256: str = "") -> requests.Session:
    """A session for talking to the server; pinned when ``pin_sha256`` is set."""
    session = requests.Session()
    pins = parse_pins(pin_sha256)
    if pins:
        session.mount("https://", PinnedAdapter(pins))
    return session


def verify_setting(verify_tls: bool, ca_file: str) -> bool | str:
    """What requests' ``verify=`` takes: the CA file, the system store (True), or off."""
    if not verify_tls:
        return False
    return ca_file or True
