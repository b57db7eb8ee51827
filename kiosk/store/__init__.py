"""The durable local buffer of punches (SQLite; no Qt, no network)."""

from .outbox import (
    Outbox,
    OutboxError,
    OutboxFullError,
    OutboxReadOnlyError,
    OutboxStats,
    RejectedPunch,
)

__all__ = [
    "Outbox", "OutboxError", "OutboxFullError", "OutboxReadOnlyError", "OutboxStats",
    "RejectedPunch",
]
