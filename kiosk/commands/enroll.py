"""``kiosk enroll --server URL --code CODE``: enrol this terminal with a one-time code."""

from __future__ import annotations

import argparse

from kiosk.core.cli_style import fail


def register(subparsers: argparse._SubParsersAction) -> None:
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


def main(args: argparse.Namespace) -> int:
    from kiosk.core.config import ConfigError, load_config
    from kiosk.core.paths import default_paths
    from kiosk.sync.enroll import EnrollError, enroll
    from kiosk.sync.secrets import SecretStoreError, open_secret_store

    paths = default_paths(args.home)
    try:
        config = load_config(paths.config_file)
        store = open_secret_store(config, paths)
        cfg = enroll(args.server, args.code, paths, store)
    except (ConfigError, SecretStoreError, EnrollError) as exc:
        return fail("kiosk", str(exc))
    print(f"Enrolled as terminal {cfg.terminal.id} ({cfg.terminal.name}, site "
          f"{cfg.terminal.site}) at {cfg.server.urls[0]}.")
    print(f"Settings saved to {paths.config_file}; secret kept in the {store.description}.")
    return 0
