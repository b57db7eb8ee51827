"""``kiosk run``: the production kiosk (config file, real camera, keyring)."""

from __future__ import annotations

import argparse

from kiosk.core import cli_style


def register(subparsers: argparse._SubParsersAction) -> None:
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


def fail(message: str) -> int:
    return cli_style.fail("kiosk", message)


def main(args: argparse.Namespace) -> int:
    from kiosk.core.config import ConfigError, load_config
    from kiosk.core.paths import default_paths
    from kiosk.sync.secrets import SecretStoreError, open_secret_store

    from ._display import display_problem

    problem = display_problem()
    if problem:
        return fail(f"{problem}; start the kiosk in the terminal's desktop session (see "
                    "docs/deploy.md, autostart)")
    paths = default_paths(getattr(args, "home", None))
    try:
        config = load_config(paths.config_file)
    except ConfigError as exc:
        return fail(f"the config cannot be used: {exc}")
    try:
        store = open_secret_store(config, paths)
    except SecretStoreError as exc:
        return fail(str(exc))

    from kiosk.app import KioskOptions, run_kiosk

    options = KioskOptions(
        fullscreen=config.ui.fullscreen and not args.windowed,
        camera=args.camera, language=args.language,
    )
    code, _kiosk = run_kiosk(config, paths, store, options,
                             keyring_label=getattr(store, "description", ""))
    return code
