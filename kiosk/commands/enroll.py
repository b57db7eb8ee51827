"""``kiosk enroll --server URL --code CODE``: enrol this terminal with a one-time code."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.core.cli_style import fail
from kiosk.core.config import ConfigError, load_config
from kiosk.core.paths import default_paths
from kiosk.sync.enroll import EnrollError, enroll
from kiosk.sync.secrets import SecretStoreError, open_secret_store


def main(args: argparse.Namespace) -> int:
    paths = default_paths(args.home)
    try:
        config = load_config(paths.config_file)
        store = open_secret_store(config, paths)
        tls: dict[str, str | bool] = {}
        if args.ca_file:
            tls["ca_file"] = str(Path(args.ca_file).resolve())
        if args.pin_sha256:
            tls["pin_sha256"] = args.pin_sha256
        if args.allow_insecure_http:
            tls["allow_insecure_http"] = True
        cfg = enroll(args.server, args.code, paths, store, tls=tls)
    except (ConfigError, SecretStoreError, EnrollError) as exc:
        return fail("kiosk", str(exc))
    print(f"Enrolled as terminal {cfg.terminal.id} ({cfg.terminal.name}, site "
          f"{cfg.terminal.site}) at {cfg.server.urls[0]}.")
    print(f"Settings saved to {paths.config_file}; secret kept in the {store.description}.")
    return 0
