"""``python -m server_stub`` is ``kiosk-server``."""

import sys

from .cli import main

sys.exit(main())
