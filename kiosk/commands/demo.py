"""``kiosk demo``: the whole flow in one command, without a webcam or any setup.

Starts the real server (server_stub) on a free loopback port in a temporary folder, seeds
sample staff, shifts and badges, enrols this kiosk with the one-time code (secret kept in
memory only), and opens the kiosk fed by a synthetic camera that holds up those badges in
turn: valid ones, a revoked one, an expired one and a QR code that is not a badge.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from platformdirs import user_downloads_dir

from kiosk.app import KioskOptions, run_kiosk
from kiosk.core.cli_style import fail
from kiosk.core.config import save_config
from kiosk.core.paths import default_paths
from kiosk.core.pin import hash_pin
from kiosk.services.memory_secrets import MemorySecretStore
from kiosk.sync.enroll import EnrollError, enroll
from server_stub.admin import Admin
from server_stub.demo_data import seed_demo
from server_stub.runner import EmbeddedServer

from ._display import OFFSCREEN_HINT, display_problem
from .arguments import DEMO_PIN


def demo_tokens(seed: object) -> list[str]:
    """What the synthetic camera shows, in turn: a mix the card must tell apart."""
    t = seed.tokens  # type: ignore[attr-defined]
    order = [t["E1001"], t["E1003"], seed.revoked_token, t["E1002"],  # type: ignore[attr-defined]
             "https://example.com/lunch-menu", t["E1004"], seed.expired_token]  # type: ignore[attr-defined]
    return [x for x in order if x]


def diagnostics_folder() -> Path:
    """Where the demo's "Export diagnostics" writes: its own folder is deleted on exit, so
    the user's Downloads folder (or home when there is none)."""
    downloads = Path(user_downloads_dir())
    return downloads if downloads.is_dir() else Path.home()


def main(args: argparse.Namespace) -> int:
    problem = display_problem()
    if problem and args.exit_after is None:
        return fail("kiosk", f"{problem}; run the demo on a desktop, or try it without a "
                             f"screen: {OFFSCREEN_HINT} kiosk demo --exit-after 20")
    if problem:  # the smoke test needs no screen: say so and draw offscreen
        print(f"kiosk: note: {problem}; drawing offscreen ({OFFSCREEN_HINT})", file=sys.stderr)
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # read when the QApplication is made
    root = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="kiosk-demo-"))
    server_dir = root / "server"
    admin = Admin.open(server_dir) if (server_dir / "server.json").exists() else \
        Admin.init(server_dir)
    server = EmbeddedServer(server_dir)
    try:
        seed = seed_demo(admin)
        server.start()
        paths = default_paths(root / "kiosk").ensure()
        store = MemorySecretStore()
        try:
            config = enroll(server.url, seed.enrol_code, paths, store)
        except EnrollError as exc:
            return fail("kiosk", f"demo enrolment failed: {exc}")
        config.ui.admin_pin_hash = hash_pin(DEMO_PIN)
        config.ui.fullscreen = bool(args.fullscreen)
        config.scan.cooldown_s = 20.0  # short, so the demo loop shows new punches again
        config.sync.interval_s = 2.0
        config.camera.fps = 15
        if args.language:
            config.ui.language = args.language
        save_config(config, paths.config_file)
        print(f"demo server: {server.url}   data: {root}")
        print(f"status panel: Ctrl+Alt+S (or hold a screen corner 3 s), admin PIN {DEMO_PIN}")
        sys.stdout.flush()
        options = KioskOptions(fullscreen=bool(args.fullscreen), camera=args.camera,
                               synthetic_tokens=demo_tokens(seed), language=args.language,
                               diagnostics_dir=None if args.keep or args.home
                               else diagnostics_folder())
        code, kiosk = run_kiosk(config, paths, store, options, keyring_label=store.description,
                                exit_after_s=args.exit_after)
    finally:
        server.stop()
        admin.close()
        if not args.keep and not args.home:
            shutil.rmtree(root, ignore_errors=True)
    c = kiosk.counts
    ok = c["recorded"] >= 1 and c["acknowledged"] >= 1
    not_saved = f", {c['storage_error']} NOT saved (storage error)" if c["storage_error"] else ""
    print(f"demo: {c['scans']} scans, {c['recorded']} recorded, {c['acknowledged']} "
          f"acknowledged by the server ({c['accepted']} accepted), {c['already']} already "
          f"recorded (repeats), {c['refused']} refused{not_saved}"
          f" – {'OK' if ok else 'FAILED: no punch was recorded and acknowledged'}")
    if args.exit_after is None:
        return code
    return 0 if ok and code == 0 else 1
