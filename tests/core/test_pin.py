"""The admin PIN lock (Qt-free): scrypt hashes, five wrong tries lock it, a moving clock."""

from __future__ import annotations

from kiosk.core.pin import PinLock, PinResult, check_pin, hash_pin
from tests.helpers.clock import FakeClock

FAST = dict(n=2**4)  # cheap scrypt for tests; the format is the same


def test_pin_hash_roundtrip():
    h = hash_pin("2468", **FAST)
    assert check_pin("2468", h)
    assert not check_pin("2469", h)
    assert not check_pin("2468", "garbage")


def test_five_wrong_pins_lock_for_five_minutes():
    clock = FakeClock()
    lock = PinLock(hash_pin("2468", **FAST), clock)
    for left in (4, 3, 2, 1):
        assert lock.try_pin("0000").tries_left == left
    assert lock.try_pin("0000").result is PinResult.LOCKED
    assert lock.try_pin("2468").result is PinResult.LOCKED  # even the right one
    clock.advance(299)
    assert lock.try_pin("2468").result is PinResult.LOCKED
    clock.advance(2)
    assert lock.try_pin("2468").result is PinResult.OK
