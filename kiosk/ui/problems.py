"""A :class:`~kiosk.services.problems.Problem` in one short translated sentence.

What IT reads on the status panel and what a technician reads on the enrolment screen:
never a library's text (that goes to the log and the diagnostics zip).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from kiosk.services.problems import Problem

_T = QCoreApplication  # lupdate reads the literal _T.translate("Problem", ...) calls below


def _with(text: str, arg: str) -> str:
    return text.replace("%1", arg)


def describe(problem: Problem | None) -> str:
    """One sentence; "" for no problem."""
    if problem is None:
        return ""
    code, arg = problem.code, problem.arg
    if code == "refused":
        return _with(_T.translate("Problem", "Server unreachable: connection refused (%1)"), arg)
    if code == "dns":
        return _with(_T.translate("Problem", "Server unreachable: name not found (%1)"), arg)
    if code == "timeout":
        return _with(_T.translate("Problem", "Server timed out (%1)"), arg) if arg else \
            _T.translate("Problem", "Server timed out")
    if code == "tls":
        return _with(_T.translate("Problem", "Server certificate not trusted (%1)"), arg)
    if code == "dropped":
        return _with(_T.translate("Problem", "Server closed the connection (%1)"), arg)
    if code == "unreachable":
        return _with(_T.translate("Problem", "Server unreachable (%1)"), arg)
    if code == "http_status":
        return _with(_T.translate("Problem", "Server answered %1"), arg)
    if code == "refused_request":
        return _with(_T.translate("Problem", "Server refused the request (%1)"), arg)
    if code == "auth":
        return _T.translate("Problem", "Server refused the terminal's signature: check the "
                                       "clock, or enrol the terminal again")
    if code == "revoked":
        return _T.translate("Problem", "Terminal revoked by the server: punches are kept, "
                                       "not sent")
    if code == "not_enrolled":
        return _T.translate("Problem", "Terminal not enrolled")
    if code == "no_secret":
        return _T.translate("Problem", "Terminal secret missing: enrol the terminal again")
    if code == "secret_store":
        return _T.translate("Problem", "The secret store (keyring) cannot be read")
    if code == "bad_answer":
        return _T.translate("Problem", "Server answer incomplete: will try again")
    if code == "internal":
        return _T.translate("Problem", "Internal error: see the log")
    if code == "outbox_full":
        return _T.translate("Problem", "Disk full: punches cannot be saved. Free some space.")
    if code == "outbox_read_only":
        return _T.translate("Problem", "Punch storage cannot be written: check the "
                                       "permissions of the data folder")
    if code == "outbox_corrupt":
        return _T.translate("Problem", "Punch storage is corrupt: see the log")
    if code == "outbox_failed":
        return _T.translate("Problem", "Punch storage failed: see the log")
    return _enrol(problem) or _T.translate("Problem", "Sync problem: see the log")


def _enrol(problem: Problem) -> str:
    code = problem.code
    if code == "enrol_bad_address":
        return _T.translate("Problem", "The server address must start with http:// or https://")
    if code == "enrol_bad_code":
        return _T.translate("Problem", "The enrolment code must be 4 to 64 characters long.")
    if code == "enrol_config_read":
        return _T.translate("Problem", "The kiosk config file cannot be read: see the log.")
    if code == "enrol_config_write":
        return _T.translate("Problem", "The kiosk config file cannot be written: check the "
                                       "permissions of the config folder.")
    if code == "enrol_timeout":
        return _T.translate("Problem", "The server did not answer in time. Try again.")
    if code == "enrol_unreachable":
        return _T.translate("Problem", "Cannot reach the server. Check the address and the "
                                       "network.")
    if code == "enrol_refused" and problem.arg == "invalid_code":
        return _T.translate("Problem", "The server refused the code: it is unknown, expired "
                                       "or already used. Ask the administrator for a new one.")
    if code == "enrol_refused":
        return _with(_T.translate("Problem", "The server refused the enrolment (%1)."),
                     problem.arg or "?")
    if code == "enrol_bad_answer":
        return _T.translate("Problem", "The server sent an answer this kiosk does not "
                                       "understand.")
    if code == "enrol_code_spent":
        return _T.translate("Problem", "The secret could not be stored and the code was used: "
                                       "ask the administrator for a new one.")
    if code == "no_keyring":
        return _T.translate("Problem", "No secret store (keyring) is available on this "
                                       "terminal: see the setup guide.")
    if code == "enrol_failed":
        return _T.translate("Problem", "Enrolment failed: see the log.")
    return ""
