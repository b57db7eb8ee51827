"""The admin PIN: scrypt hash in the config, 5 wrong tries lock it for 5 minutes.

:class:`PinLock` is plain Python with the clock passed in (tests move time);
:class:`~kiosk.ui.pin_pad.PinPad` is the on-screen keypad that uses it. ``kiosk set-pin``
writes ``[ui] admin_pin_hash`` (``python -m kiosk.core.pin 123456`` prints a hash, for scripts).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
import sys
import threading
from dataclasses import dataclass

from kiosk.core.clock import Clock
from kiosk.core.protocol.badge import b64u_decode as _unb64
from kiosk.core.protocol.badge import b64u_encode as _b64

MAX_TRIES = 5
LOCK_SECONDS = 300.0


def hash_pin(pin: str, *, n: int = 2**14, r: int = 8, p: int = 1,
             salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` (the parameters travel with the hash)."""
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def check_pin(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(pin.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r),
                             p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, _unb64(digest))


class PinResult(str, enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    NO_PIN = "no_pin"  # no hash configured: the panel stays shut


@dataclass(frozen=True)
class PinAnswer:
    result: PinResult
    tries_left: int = 0
    locked_s: float = 0.0


class PinLock:
    """Counts wrong tries; after ``max_tries`` refuses every PIN for ``lock_s`` seconds.

    Thread-safe: the GUI asks :meth:`locked_for` while a worker runs :meth:`try_pin`.
    """

    def __init__(self, pin_hash: str, clock: Clock, max_tries: int = MAX_TRIES,
                 lock_s: float = LOCK_SECONDS) -> None:
        self._hash = pin_hash
        self._clock = clock
        self._max = max_tries
        self._lock_s = lock_s
        self._wrong = 0
        self._locked_until: float | None = None
        self._guard = threading.RLock()

    @property
    def configured(self) -> bool:
        return bool(self._hash)

    def locked_for(self) -> float:
        with self._guard:
            if self._locked_until is None:
                return 0.0
            left = self._locked_until - self._clock.monotonic()
            if left <= 0:
                self._locked_until = None
                self._wrong = 0
                return 0.0
            return left

    def try_pin(self, pin: str) -> PinAnswer:
        """Hashes with scrypt (~80 ms): call it off the GUI thread."""
        if not self._hash:
            return PinAnswer(PinResult.NO_PIN)
        with self._guard:
            left = self.locked_for()
            if left > 0:
                return PinAnswer(PinResult.LOCKED, 0, left)
            if check_pin(pin, self._hash):
                self._wrong = 0
                return PinAnswer(PinResult.OK, self._max)
            self._wrong += 1
            if self._wrong >= self._max:
                self._locked_until = self._clock.monotonic() + self._lock_s
                return PinAnswer(PinResult.LOCKED, 0, self._lock_s)
            return PinAnswer(PinResult.WRONG, self._max - self._wrong)


if __name__ == "__main__":  # python -m kiosk.core.pin 123456
    if len(sys.argv) != 2 or not sys.argv[1].isdigit() or len(sys.argv[1]) < 4:
        print("usage: python -m kiosk.core.pin PIN   (at least 4 digits)", file=sys.stderr)
        sys.exit(2)
    print(f'admin_pin_hash = "{hash_pin(sys.argv[1])}"   # put this under [ui]')
