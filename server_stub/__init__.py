"""The reference central server: FastAPI + SQLAlchemy Core, admin CLI ``kiosk-server``.

Entry points other code relies on: :class:`server_stub.admin.Admin`,
:func:`server_stub.app.create_app`, :class:`server_stub.runner.EmbeddedServer`,
:func:`server_stub.demo_data.seed_demo`. See docs/server.md.
"""
