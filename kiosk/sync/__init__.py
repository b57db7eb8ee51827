"""Talking to the server: signed client, drain loop, roster cache, secrets, enrolment.

No Qt here; the UI wraps :class:`~kiosk.sync.engine.SyncEngine` in a thread and re-emits
the listener callbacks as signals.
"""
