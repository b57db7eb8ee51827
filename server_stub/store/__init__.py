"""The server's storage layer: engine setup from the data folder, schema migrations (Alembic).

The tables themselves are declared in :mod:`server_stub.db` (SQLAlchemy Core); every
change to them also gets a revision under ``migrations/versions`` (see docs/deploy.md).
"""
