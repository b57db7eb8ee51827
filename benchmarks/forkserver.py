"""A process that imports the server once, then forks one ``kiosk-server serve`` per request.

    python -m benchmarks.forkserver    # stdin: a JSON argv per line; stdout: each child's pid

A replica started cold spends seconds importing (SQLAlchemy, pydantic, FastAPI) before it
binds; a fork of this process starts at ``serve`` itself (data folder check, app, bind) in
a fraction of that. Each child is an ordinary serve process of its own (own database pool,
own event loop), killed with SIGKILL like any other; :class:`benchmarks.replicas.ForkedReplica`
drives it. Children are reaped by the kernel (SIGCHLD ignored), so a killed one is gone
at once. Nothing here starts a thread or opens a connection before forking.
"""

from __future__ import annotations

import json
import os
import signal
import sys

import uvicorn  # noqa: F401 - imported once here instead of in every replica

from server_stub import app, cli, console, runner  # noqa: F401 - the same (create_app mounts console)


def serve_child(argv: list[str]) -> None:
    """In the forked child: ``kiosk-server`` with ``argv``, stdout to /dev/null (it is the
    parent's answer pipe), then exit without the parent's atexit handlers."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    code = 1
    try:
        code = cli.main(argv)
    finally:
        os._exit(code)


def main() -> int:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while line := sys.stdin.readline():
        argv = json.loads(line)
        pid = os.fork()
        if pid == 0:
            serve_child(argv)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
