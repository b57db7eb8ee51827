"""The web console for HR and IT under ``/console``: server-rendered pages, no CDN.

:func:`create_console` builds a FastAPI sub-application that the server mounts; it has its
own error pages (HTML, translated) so the terminal API keeps its JSON errors. Imports go one
way: console -> attendance rules, reports, admin, audit, db; nothing imports the console
except the mount in :mod:`server_stub.app`.
"""

from __future__ import annotations

from .app import create_console

__all__ = ["create_console"]
