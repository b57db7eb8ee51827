"""One module per ``kiosk`` subcommand (see :mod:`kiosk.cli`)."""
