"""A :class:`~kiosk.services.problems.Problem` in one short translated sentence.

What IT reads on the status panel and what a technician reads on the enrolment screen:
never a library's text (that goes to the log and the diagnostics zip). ``%1`` in a
sentence is the problem's argument (host:port, an HTTP status, a server's error code).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from kiosk.services.problems import Problem

_T = QCoreApplication  # lupdate reads the literal _T.translate("Problem", ...) calls below


def _sentences() -> dict[str, str]:
    """Built per call: the translations follow the translator installed at that moment."""
    return {
        "refused": _T.translate("Problem", "Server unreachable: connection refused (%1)"),
        "dns": _T.translate("Problem", "Server unreachable: name not found (%1)"),
        "timeout": _T.translate("Problem", "Server timed out (%1)"),
        "tls": _T.translate("Problem", "Server certificate not trusted (%1)"),
        "insecure_http": _T.translate("Problem", "Plain http:// to a server that is not "
                                                 "this machine is refused (%1): use https://"),
        "dropped": _T.translate("Problem", "Server closed the connection (%1)"),
        "unreachable": _T.translate("Problem", "Server unreachable (%1)"),
        "http_status": _T.translate("Problem", "Server answered %1"),
        "refused_request": _T.translate("Problem", "Server refused the request (%1)"),
        "auth": _T.translate("Problem", "Server refused the terminal's signature: check the "
                                        "clock, or enrol the terminal again"),
        "revoked": _T.translate("Problem", "Terminal revoked by the server: punches are "
                                           "kept, not sent"),
        "not_enrolled": _T.translate("Problem", "Terminal not enrolled"),
        "no_secret": _T.translate("Problem", "Terminal secret missing: enrol the terminal "
                                             "again"),
        "secret_store": _T.translate("Problem", "The secret store (keyring) cannot be read"),
        "bad_answer": _T.translate("Problem", "Server answer incomplete: will try again"),
        "not_authenticated": _T.translate("Problem", "The server's answer was not "
                                                     "authenticated (%1): punches stay "
                                                     "pending"),
        "internal": _T.translate("Problem", "Internal error: see the log"),
        "outbox_full": _T.translate("Problem", "Disk full: punches cannot be saved. Free "
                                               "some space."),
        "outbox_read_only": _T.translate("Problem", "Punch storage cannot be written: check "
                                                    "the permissions of the data folder"),
        "outbox_corrupt": _T.translate("Problem", "Punch storage is corrupt: see the log"),
        "outbox_failed": _T.translate("Problem", "Punch storage failed: see the log"),
        "enrol_bad_address": _T.translate("Problem", "The server address must start with "
                                                     "http:// or https://"),
        "enrol_bad_code": _T.translate("Problem", "The enrolment code must be 4 to 64 "
                                                  "characters long."),
        "enrol_config_read": _T.translate("Problem", "The kiosk config file cannot be read: "
                                                     "see the log."),
        "enrol_config_write": _T.translate("Problem", "The kiosk config file cannot be "
                                                      "written: check the permissions of the "
                                                      "config folder."),
        "enrol_timeout": _T.translate("Problem", "The server did not answer in time. Try "
                                                 "again."),
        "enrol_unreachable": _T.translate("Problem", "Cannot reach the server. Check the "
                                                     "address and the network."),
        "enrol_refused": _T.translate("Problem", "The server refused the enrolment (%1)."),
        "enrol_bad_answer": _T.translate("Problem", "The server sent an answer this kiosk "
                                                    "does not understand."),
        "enrol_not_authenticated": _T.translate("Problem", "The server's answer was not "
                                                           "authenticated: nothing was saved. "
                                                           "Check the server address."),
        "enrol_code_spent": _T.translate("Problem", "The secret could not be stored and the "
                                                    "code was used: ask the administrator "
                                                    "for a new one."),
        "no_keyring": _T.translate("Problem", "No secret store (keyring) is available on "
                                              "this terminal: see the setup guide."),
        "enrol_failed": _T.translate("Problem", "Enrolment failed: see the log."),
    }


def describe(problem: Problem | None) -> str:
    """One sentence; "" for no problem."""
    if problem is None:
        return ""
    code, arg = problem.code, problem.arg
    if code == "timeout" and not arg:
        return _T.translate("Problem", "Server timed out")
    if code == "enrol_refused" and arg == "invalid_code":
        return _T.translate("Problem", "The server refused the code: it is unknown, expired "
                                       "or already used. Ask the administrator for a new one.")
    text = _sentences().get(code) or _T.translate("Problem", "Sync problem: see the log")
    return text.replace("%1", arg or "?")
