"""Alembic's script folder for the server schema (env.py, script.py.mako, versions/)."""
