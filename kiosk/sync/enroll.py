"""Enrolment: trade a one-time code for a terminal id and secret, keep them safely.

The CLI (``kiosk enroll``), the UI's enrolment screen and ``kiosk demo`` all call
:func:`enroll`. The secret goes to the secret store; the settings (terminal id, name, site,
server URL) to the config file, written atomically. The secret store is checked *before*
the code is spent, so a missing keyring never burns a one-time code.
"""

from __future__ import annotations

import logging

import requests
from pydantic import ValidationError

from kiosk import __version__
from kiosk.core.config import Config, ConfigError, load_config, save_config
from kiosk.core.paths import Paths
from kiosk.core.problems import KioskError, ProblemCode
from kiosk.core.protocol import (
    API_PREFIX,
    H_RECEIPT,
    EnrollRequest,
    EnrollResponse,
    ErrorBody,
    receipt_valid,
)
from kiosk.core.protocol.signing import H_NONCE, new_nonce

from .client import host_port
from .secrets import SecretStore, SecretStoreError
from .tls import NOT_TRUSTED, insecure_reason, make_session, verify_setting

log = logging.getLogger(__name__)


class EnrollError(KioskError):
    """Enrolment failed (the code says why; the message in English, for the log)."""

    code = ProblemCode.ENROL_FAILED


def enroll(
    server_url: str,
    code: str,
    paths: Paths,
    secret_store: SecretStore,
    session: requests.Session | None = None,
    *,
    timeout: tuple[float, float] = (5.0, 15.0),
    app_version: str = __version__,
    tls: dict[str, str | bool] | None = None,
) -> Config:
    """Enrol this terminal at ``server_url`` with ``code``; returns the saved config.

    ``tls``: ``[sync]`` TLS settings to use from now on (``ca_file``, ``pin_sha256``,
    ``allow_insecure_http``), checked on this very request and saved with the config.
    """
    # The address 'kiosk-server serve' prints ends in the API's prefix when copied with it
    url = server_url.strip().rstrip("/").removesuffix(API_PREFIX).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise EnrollError(f"The server address {server_url!r} must start with http:// or "
                          "https://.", code=ProblemCode.ENROL_BAD_ADDRESS)
    code = code.strip()
    try:
        body = EnrollRequest(code=code, app_version=app_version[:40])
    except ValidationError:
        raise EnrollError("The enrolment code must be 4 to 64 characters long.",
                          code=ProblemCode.ENROL_BAD_CODE) from None
    try:
        config = load_config(paths.config_file)
    except ConfigError as exc:
        raise EnrollError(f"The kiosk config cannot be read: {exc}",
                          code=ProblemCode.ENROL_CONFIG_READ) from None
    try:
        config = config.model_copy(deep=True)
        for key, value in (tls or {}).items():
            setattr(config.sync, key, value)
    except ValidationError as exc:
        raise EnrollError(f"The TLS settings are not valid: {exc.errors()[0]['msg']}",
                          code=ProblemCode.ENROL_FAILED) from None
    insecure = insecure_reason(url, config.sync.allow_insecure_http)
    if insecure:
        raise EnrollError(f"The server address {url} is not safe: {insecure}.",
                          code=ProblemCode.INSECURE_HTTP, arg=host_port(url))
    try:
        secret_store.get("probe")  # fail here, before the one-time code is spent
    except SecretStoreError as exc:
        raise EnrollError(str(exc), code=ProblemCode.NO_KEYRING) from None

    session = session or make_session(config.sync.pin_sha256)
    nonce = new_nonce()
    try:
        resp = session.post(f"{url}{API_PREFIX}/enroll", data=body.model_dump_json(),
                            headers={"Content-Type": "application/json", H_NONCE: nonce},
                            timeout=timeout,
                            verify=verify_setting(config.server.verify_tls, config.sync.ca_file))
    except requests.exceptions.SSLError:
        raise EnrollError(f"Cannot enrol at {url}: {NOT_TRUSTED} (check [sync] ca_file and "
                          "pin_sha256).", code=ProblemCode.TLS, arg=host_port(url)) from None
    except requests.Timeout:
        raise EnrollError(f"The server at {url} did not answer in time.",
                          code=ProblemCode.ENROL_TIMEOUT) from None
    except requests.RequestException:
        raise EnrollError(f"Cannot reach the server at {url}. Check the address and the "
                          "network.", code=ProblemCode.ENROL_UNREACHABLE) from None
    if resp.status_code == 404:
        raise EnrollError(f"The server at {url} has no enrolment endpoint ({API_PREFIX}/enroll "
                          "not found): check the address - it is the one 'kiosk-server serve' "
                          "prints, e.g. http://host:8765.", code=ProblemCode.ENROL_NO_ENDPOINT)
    if resp.status_code != 200:
        try:
            err = ErrorBody.model_validate_json(resp.content)
            detail, server_code = f"{err.message} ({err.error})", err.error
        except (ValidationError, ValueError):
            detail, server_code = f"HTTP {resp.status_code}", f"HTTP {resp.status_code}"
        raise EnrollError(f"The server refused the enrolment: {detail}",
                          code=ProblemCode.ENROL_REFUSED, arg=server_code)
    try:
        answer = EnrollResponse.model_validate_json(resp.content)
    except ValidationError:
        raise EnrollError("The server sent an answer this kiosk does not understand.",
                          code=ProblemCode.ENROL_BAD_ANSWER) from None
    # Signed with the secret it carries, over our nonce: the secret came whole from a
    # server that holds it (not a portal, not a proxy that made up an answer).
    if not receipt_valid(answer.secret, nonce, resp.status_code, resp.content,
                         resp.headers.get(H_RECEIPT)):
        raise EnrollError("The server's answer was not authenticated (no valid receipt); "
                          "nothing was saved. Check the server address.",
                          code=ProblemCode.ENROL_NOT_AUTHENTICATED)

    try:
        secret_store.set(answer.terminal_id, answer.secret)
    except SecretStoreError as exc:
        raise EnrollError(f"{exc} The code was used; ask the admin for a new one.",
                          code=ProblemCode.ENROL_CODE_SPENT) from None
    urls = [url] + [u for u in config.server.urls if u != url]
    new = config.model_copy(deep=True)
    new.terminal.id = answer.terminal_id
    new.terminal.name = answer.name
    new.terminal.site = answer.site
    new.server.urls = urls
    paths.ensure()
    try:
        save_config(new, paths.config_file)
    except OSError as exc:
        raise EnrollError(f"The config file {paths.config_file} cannot be written: "
                          f"{exc.strerror}", code=ProblemCode.ENROL_CONFIG_WRITE) from None
    log.info("enrolled as terminal %s (%s, site %s)", answer.terminal_id, answer.name,
             answer.site)
    return new
