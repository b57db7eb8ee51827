"""The event stream to terminals: what changed for them and what IT asks of them.

:mod:`.events` writes events in the caller's transaction and reads them back; :mod:`.hub`
is one broadcaster per server process, woken by PostgreSQL ``NOTIFY`` (other replicas) or in
the same process (SQLite); :mod:`.routes` serves ``GET /api/v1/events`` and the commands'
acknowledgements and diagnostics uploads.
"""
