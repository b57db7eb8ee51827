"""The shape both protocol errors share: a stable reason code plus an optional detail."""

from __future__ import annotations

import enum


class ReasonError(Exception):
    """An error whose ``reason`` (an enum member) is machine-readable; ``str()`` is
    ``"reason: detail"``. The detail never quotes the refused input."""

    def __init__(self, reason: enum.Enum, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail
