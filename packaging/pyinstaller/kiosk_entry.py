"""Entry point of the frozen kiosk: the same ``kiosk`` command as the console script."""

import multiprocessing
import sys

from kiosk.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
