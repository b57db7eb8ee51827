"""The ``kiosk`` subcommands' arguments: argparse only, so ``kiosk --help`` stays instant.

One ``register_<command>(subparsers)`` per subcommand, in :data:`REGISTER`. The command's
work is in ``kiosk/commands/<command>.py`` (``main(args) -> int``), which imports what it
needs at its top; :mod:`kiosk.cli` imports that module only to run the command, so asking
for help never loads Qt, OpenCV or the server.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeAlias

DEMO_PIN = "1234"  # kiosk demo's admin PIN
PIN_MIN_DIGITS, PIN_MAX_DIGITS = 4, 12  # kiosk set-pin
DECODE_BACKENDS = ("zxingcpp", "pyzbar")  # kiosk decode --backend

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register_run(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "run", help="run the kiosk (full screen, camera from the config)",
        description="Run the production kiosk: the settings from the config file (written by "
        "'kiosk enroll'), the terminal secret from the keyring, the camera from [camera] "
        "source. Stops on Ctrl+C or SIGTERM after saving everything.")
    p.add_argument("--windowed", action="store_true",
                   help="a normal window instead of full-screen kiosk mode (desk use)")
    p.add_argument("--camera", metavar="SOURCE",
                   help="override [camera] source: 0 (first webcam), /dev/videoN, a video "
                        "file, a folder of images, or 'synthetic'")
    p.add_argument("--language", choices=("auto", "en", "zh_CN"),
                   help="override [ui] language")


def register_demo(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="local server + kiosk with a simulated camera",
        description="The whole flow without any setup: a real server on a free loopback "
        "port with sample staff and badges, this kiosk enrolled to it, and a synthetic "
        f"camera holding the badges up in turn. The status panel's PIN is {DEMO_PIN}. "
        "Everything lives in a temporary folder, deleted on exit (see --keep, --home).")
    p.add_argument("--exit-after", type=float, metavar="N",
                   help="close after N seconds; exit 0 only if a punch was recorded and "
                        "acknowledged by the server")
    p.add_argument("--fullscreen", action="store_true", help="kiosk mode (default: a window)")
    p.add_argument("--camera", default="synthetic", metavar="SOURCE",
                   help="'synthetic', or 0 for a real webcam, /dev/videoN, a video file, a "
                        "folder of images")
    p.add_argument("--language", choices=("auto", "en", "zh_CN"), default=None,
                   help="screen language (default: the system's)")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary folder (server data, outbox, logs) and print it")


def register_enroll(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "enroll", help="enrol this terminal with the server (one-time code from the admin)",
        description="Enrol this terminal with the server, once: trade the one-time code from "
        "'kiosk-server add-terminal' for the terminal's id and secret. The secret goes to the "
        "keyring, the id and server address to the config file.",
    )
    p.add_argument("--server", required=True, metavar="URL",
                   help="the server's address as 'kiosk-server serve' prints it, e.g. "
                        "https://host:8443 (a trailing /api/v1 is fine)")
    p.add_argument("--code", required=True, help="the one-time enrolment code, e.g. "
                                                 "H2SD-KLCN-F4BF-PBZX")
    p.add_argument("--ca-file", metavar="FILE",
                   help="PEM file of the CA that signed the server's certificate")
    p.add_argument("--pin-sha256", metavar="HEX",
                   help="SHA-256 (hex) of the server certificate's public key")
    p.add_argument("--allow-insecure-http", action="store_true",
                   help="allow plain http:// to a host that is not this machine (not advised)")


def register_status(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "status", help="show outbox and sync state (exit 0/1/2)",
        description="Show this terminal's enrolment, secret store, outbox and last sync, "
        "without contacting the server. Exit code for monitoring: 0 healthy, 1 warning, "
        "2 critical.")
    p.add_argument("--json", action="store_true", help="one JSON object with stable keys")


def register_sync(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "sync", help="send pending punches to the server",
        description="Send the outbox's pending punches to the server, the same way the "
        "running kiosk does; loops until Ctrl+C or SIGTERM. IT uses it to flush a backlog "
        "by hand.")
    p.add_argument("--once", action="store_true",
                   help="one pass, then exit: 0 when everything was sent, 1 when not")


def register_outbox(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "outbox", help="outbox maintenance: salvage a moved-aside file",
        description="Outbox maintenance. 'kiosk outbox salvage FILE' re-queues every punch "
        "still readable in a corrupt outbox that was moved aside, with its own event id and "
        "sequence number, so the server stores each once; prints how many were re-queued "
        "and skipped.")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION",
                           help="salvage: re-queue a moved-aside file's readable punches")
    s = sub.add_parser("salvage", help="re-queue the readable punches of a moved-aside file")
    s.add_argument("file", metavar="FILE", help="the moved-aside outbox "
                   "(outbox.sqlite3.corrupt-...)")
    s.add_argument("--home", metavar="DIR", default=argparse.SUPPRESS,
                   help="keep config, data and logs under this folder")


def register_set_pin(subparsers: Subparsers) -> None:
    subparsers.add_parser(
        "set-pin", help="set the admin PIN that opens the status panel (asked twice)",
        description=f"Set the admin PIN that opens the IT status panel: {PIN_MIN_DIGITS} to "
        f"{PIN_MAX_DIGITS} digits, typed twice and not shown. Only its scrypt hash is saved, "
        "to [ui] admin_pin_hash in the config file; a running kiosk uses it after a restart. "
        "In a script, pipe the PIN twice on stdin.")


def register_decode(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "decode",
        help="decode QR codes in image or video files (one JSON line per image/frame)",
        description="Decode QR codes in image files, folders of images and video files with "
        "the kiosk's pipeline. Prints one JSON object per line: "
        '{"path": ..., "texts": [...], "ms": ...}; video frames add "frame".',
    )
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="image file, folder of images or video file")
    p.add_argument(
        "--backend", choices=DECODE_BACKENDS, default=None,
        help="decoder (default: [camera] decoder from the config, else zxingcpp)",
    )
    p.add_argument("--no-second-pass", action="store_true",
                   help="raw first pass only (for measuring)")
    p.add_argument(
        "--readable", action="store_true",
        help="show control characters as <SOH>, <GS>... instead of the exact text",
    )
    p.add_argument("--max-frames", type=int, default=0, metavar="N",
                   help="stop each video after N frames (0: read every frame)")


REGISTER: dict[str, Callable[[Subparsers], None]] = {
    "run": register_run, "demo": register_demo, "enroll": register_enroll,
    "status": register_status, "sync": register_sync, "set-pin": register_set_pin,
    "decode": register_decode, "outbox": register_outbox,
}
