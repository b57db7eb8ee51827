"""The durable local buffer of punches (SQLite; no Qt, no network)."""

from .errors import OutboxError, OutboxFullError, OutboxReadOnlyError
from .outbox import Outbox, OutboxStats, RejectedPunch

__all__ = [
    "Outbox", "OutboxError", "OutboxFullError", "OutboxReadOnlyError", "OutboxStats",
    "RejectedPunch",
]
