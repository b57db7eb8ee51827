"""``kiosk run``: the production kiosk (config file, real camera, keyring)."""

from __future__ import annotations

import argparse

from kiosk.app import KioskOptions, run_kiosk
from kiosk.core import cli_style
from kiosk.core.config import ConfigError, load_config
from kiosk.core.paths import default_paths
from kiosk.sync.secrets import SecretStoreError, open_secret_store

from ._display import display_problem


def fail(message: str) -> int:
    return cli_style.fail("kiosk", message)


def main(args: argparse.Namespace) -> int:
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
    options = KioskOptions(
        fullscreen=config.ui.fullscreen and not args.windowed,
        camera=args.camera, language=args.language,
    )
    code, _kiosk = run_kiosk(config, paths, store, options,
                             keyring_label=getattr(store, "description", ""))
    return code
