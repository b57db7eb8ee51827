"""A process that imports the server once, then forks one ``kiosk-server`` process per request.

    python -m benchmarks.forkserver           # serve children: stdin a JSON argv per line,
                                              # stdout each child's pid
    python -m benchmarks.forkserver --wait    # command children: stdin a JSON request per
                                              # line, stdout the child's pid, then its status

A ``kiosk-server`` process started cold spends 1-2 s of CPU importing (SQLAlchemy,
pydantic, FastAPI) before it does anything; a fork of this process starts at the command
itself. Each child is an ordinary process of its own (own pid, files, exit status, database
connections, event loop): :class:`benchmarks.replicas.ForkedReplica` SIGKILLs ``serve``
children; :class:`CommandForker` runs commands as a subprocess would, with their own
working folder, environment, stdin and captured output. Nothing here starts a thread or
opens a connection before forking.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import uvicorn  # noqa: F401 - imported once here instead of in every child

from server_stub import app, cli, console, runner  # noqa: F401 - the same (and the console)

REPO = Path(__file__).resolve().parent.parent


def _exit_code(exc: SystemExit) -> int:
    """What the interpreter makes of ``SystemExit(code)``."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def run_child(argv: list[str]) -> None:
    """In a forked child: ``kiosk-server argv`` as ``python -m server_stub.cli`` would run
    it, then exit without the parent's atexit handlers."""
    code = 1
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException:  # noqa: BLE001 - as the interpreter: the traceback, exit 1
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _serve_loop() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps them: a killed one is gone
    while line := sys.stdin.readline():
        argv = json.loads(line)
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            devnull = os.open(os.devnull, os.O_RDWR)
            os.dup2(devnull, 0)
            os.dup2(devnull, 1)  # our stdout is the answer pipe
            run_child(argv)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


def _command_loop() -> None:
    while line := sys.stdin.readline():
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            os.chdir(req["cwd"])
            os.environ.clear()
            os.environ.update(req["env"])
            for fd, path, mode in ((0, req["stdin"], os.O_RDONLY), (1, req["stdout"], os.O_WRONLY),
                                   (2, req["stderr"], os.O_WRONLY)):
                f = os.open(path, mode)
                os.dup2(f, fd)
                os.close(f)
            sys.stdin = open(0, encoding=sys.stdin.encoding, closefd=False)
            run_child(req["argv"])
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()
        _, status = os.waitpid(pid, 0)
        sys.stdout.write(f"{os.waitstatus_to_exitcode(status)}\n")
        sys.stdout.flush()


class ForkServerPipe:
    """The parent's end of one ``python -m benchmarks.forkserver [ARGS]`` process: one JSON
    line per request in, answer lines out (read with a timeout)."""

    def __init__(self, *args: str, stderr: Any = None) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.forkserver", *args],
                                     env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=stderr,
                                     bufsize=0)  # unbuffered: select() sees every answer line

    def _send(self, request: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        self.proc.stdin.flush()

    def _line(self, timeout: float) -> bytes:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the fork server exited (code {self.proc.wait(10)})")
        return line

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class CommandForker(ForkServerPipe):
    """``run(argv, cwd=...)``: ``kiosk-server argv`` in a forked child, as
    ``subprocess.run([python, "-m", "server_stub.cli", *argv], capture_output=True,
    text=True)`` would (a child that outlives ``timeout`` is SIGKILLed)."""

    def __init__(self) -> None:
        super().__init__("--wait")

    def run(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None,
            stdin: str = "", timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        with tempfile.TemporaryDirectory(prefix="forked-cli-") as tmp:
            files = {k: Path(tmp) / k for k in ("stdin", "stdout", "stderr")}
            files["stdin"].write_text(stdin)
            for k in ("stdout", "stderr"):
                files[k].touch()
            self._send({"argv": list(argv), "cwd": str(cwd), "env": dict(env or os.environ),
                        **{k: str(p) for k, p in files.items()}})
            pid = int(self._line(timeout))
            try:
                code = int(self._line(timeout))
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                self._line(10)
                raise subprocess.TimeoutExpired(list(argv), timeout) from None
            return subprocess.CompletedProcess(
                list(argv), code, files["stdout"].read_text(), files["stderr"].read_text())


def main() -> int:
    if "--wait" in sys.argv[1:]:
        _command_loop()
    else:
        _serve_loop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
