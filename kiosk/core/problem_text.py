"""The one table from problem codes to the sentences people read, in any language.

The window, the status panel, the enrolment screen and the CLI all call :func:`describe`;
the UI passes Qt's ``QCoreApplication.translate`` (``kiosk.ui.i18n.describe_problem``),
the CLI passes nothing and prints English. Qt-free: ``QT_TRANSLATE_NOOP`` only marks each sentence for
``pyside6-lupdate``; ``%1`` in a sentence is the problem's argument.

A new code: add it to :class:`~kiosk.core.problems.ProblemCode`, raise it where it happens,
add its sentence here, run ``python scripts/build_translations.py`` and translate it in
``resources/i18n/kiosk_zh_CN.ts``.
"""

from __future__ import annotations

from collections.abc import Callable

from .i18n import QT_TRANSLATE_NOOP
from .problems import Problem, ProblemCode

CONTEXT = "Problem"

Translate = Callable[[str, str], str]


C = ProblemCode
SENTENCES: dict[str, str] = {
    C.REFUSED: QT_TRANSLATE_NOOP("Problem", "Server unreachable: connection refused (%1)"),
    C.DNS: QT_TRANSLATE_NOOP("Problem", "Server unreachable: name not found (%1)"),
    C.TIMEOUT: QT_TRANSLATE_NOOP("Problem", "Server timed out (%1)"),
    # "CODE:ARG" keys override one argument; "timeout:" is a timeout with no host to name.
    "timeout:": QT_TRANSLATE_NOOP("Problem", "Server timed out"),
    C.TLS: QT_TRANSLATE_NOOP("Problem", "Server certificate not trusted (%1)"),
    C.DROPPED: QT_TRANSLATE_NOOP("Problem", "Server closed the connection (%1)"),
    C.UNREACHABLE: QT_TRANSLATE_NOOP("Problem", "Server unreachable (%1)"),
    C.HTTP_STATUS: QT_TRANSLATE_NOOP("Problem", "Server answered %1"),
    C.REFUSED_REQUEST: QT_TRANSLATE_NOOP("Problem", "Server refused the request (%1)"),
    C.AUTH: QT_TRANSLATE_NOOP("Problem", "Server refused the terminal's signature: check the "
                                         "clock, or enrol the terminal again"),
    C.REVOKED: QT_TRANSLATE_NOOP("Problem", "Terminal revoked by the server: punches are "
                                            "kept, not sent"),
    C.BAD_ANSWER: QT_TRANSLATE_NOOP("Problem", "Server answer incomplete: will try again"),
    C.NOT_AUTHENTICATED: QT_TRANSLATE_NOOP("Problem", "The server's answer was not "
                                                      "authenticated (%1): punches stay "
                                                      "pending"),
    C.INSECURE_HTTP: QT_TRANSLATE_NOOP("Problem", "Plain http:// to a server that is not "
                                                  "this machine is refused (%1): use https://"),
    C.INSECURE_HTTP_ALLOWED: QT_TRANSLATE_NOOP(
        "Problem", "Warning: plain http:// to %1 is allowed ([sync] allow_insecure_http = "
                   "true): punches and answers travel unencrypted"),
    C.NOT_ENROLLED: QT_TRANSLATE_NOOP("Problem", "Terminal not enrolled"),
    C.NO_SECRET: QT_TRANSLATE_NOOP("Problem", "Terminal secret missing: enrol the terminal "
                                              "again"),
    C.SECRET_STORE: QT_TRANSLATE_NOOP("Problem", "The secret store (keyring) cannot be read"),
    C.CONFIG_INVALID: QT_TRANSLATE_NOOP("Problem", "The kiosk config file cannot be read: "
                                                   "see the log."),
    C.INTERNAL: QT_TRANSLATE_NOOP("Problem", "Internal error: see the log"),
    C.UNKNOWN: QT_TRANSLATE_NOOP("Problem", "Sync problem: see the log"),
    C.OUTBOX_FULL: QT_TRANSLATE_NOOP("Problem", "Disk full: punches cannot be saved. Free "
                                                "some space."),
    C.OUTBOX_READ_ONLY: QT_TRANSLATE_NOOP("Problem", "Punch storage cannot be written: check "
                                                     "the permissions of the data folder"),
    C.OUTBOX_CORRUPT: QT_TRANSLATE_NOOP("Problem", "Punch storage is corrupt: see the log"),
    C.OUTBOX_NEWER: QT_TRANSLATE_NOOP("Problem", "Punch storage was written by a newer kiosk "
                                                 "version: update this kiosk"),
    C.OUTBOX_FAILED: QT_TRANSLATE_NOOP("Problem", "Punch storage failed: see the log"),
    C.ENROL_BAD_ADDRESS: QT_TRANSLATE_NOOP("Problem", "The server address must start with "
                                                      "http:// or https://"),
    C.ENROL_BAD_CODE: QT_TRANSLATE_NOOP("Problem", "The enrolment code must be 4 to 64 "
                                                   "characters long."),
    C.ENROL_CONFIG_READ: QT_TRANSLATE_NOOP("Problem", "The kiosk config file cannot be read: "
                                                      "see the log."),
    C.ENROL_CONFIG_WRITE: QT_TRANSLATE_NOOP("Problem", "The kiosk config file cannot be "
                                                       "written: check the permissions of the "
                                                       "config folder."),
    C.ENROL_TIMEOUT: QT_TRANSLATE_NOOP("Problem", "The server did not answer in time. Try "
                                                  "again."),
    C.ENROL_UNREACHABLE: QT_TRANSLATE_NOOP("Problem", "Cannot reach the server. Check the "
                                                      "address and the network."),
    C.ENROL_REFUSED: QT_TRANSLATE_NOOP("Problem", "The server refused the enrolment (%1)."),
    "enrol_refused:invalid_code": QT_TRANSLATE_NOOP(
        "Problem", "The server refused the code: it is unknown, expired or already used. "
                   "Ask the administrator for a new one."),
    C.ENROL_BAD_ANSWER: QT_TRANSLATE_NOOP("Problem", "The server sent an answer this kiosk "
                                                     "does not understand."),
    C.ENROL_CODE_SPENT: QT_TRANSLATE_NOOP("Problem", "The secret could not be stored and the "
                                                     "code was used: ask the administrator "
                                                     "for a new one."),
    C.NO_KEYRING: QT_TRANSLATE_NOOP("Problem", "No secret store (keyring) is available on "
                                               "this terminal: see the setup guide."),
    C.ENROL_FAILED: QT_TRANSLATE_NOOP("Problem", "Enrolment failed: see the log."),
    C.ENROL_NOT_AUTHENTICATED: QT_TRANSLATE_NOOP("Problem", "The server's answer was not "
                                                            "authenticated: nothing was saved. "
                                                            "Check the server address."),
    C.ENROL_NO_ENDPOINT: QT_TRANSLATE_NOOP("Problem", "This address is not a check-in server: "
                                                      "use the address 'kiosk-server serve' "
                                                      "prints."),
    C.PUSH_BAD_SIGNATURE: QT_TRANSLATE_NOOP("Problem", "An event from the server had a wrong "
                                                       "signature and was ignored"),
    C.PUSH_POLLING: QT_TRANSLATE_NOOP("Problem", "Live updates are held back on the way: "
                                                 "asking the server every few seconds instead"),
    C.PUSH_COMMAND_FAILED: QT_TRANSLATE_NOOP("Problem", "The command from IT could not be "
                                                        "carried out (%1)"),
}
del C


def _english(context: str, text: str) -> str:
    return text


def describe(problem: Problem | None, translate: Translate = _english) -> str:
    """One sentence for ``problem`` ("" for none); ``translate(context, text)`` picks the
    language (Qt's translator in the UI, English by default)."""
    if problem is None:
        return ""
    code, arg = problem.code, problem.arg
    text = SENTENCES.get(f"{code}:{arg}") or SENTENCES.get(code) or SENTENCES["unknown"]
    return translate(CONTEXT, text).replace("%1", arg or "?")
