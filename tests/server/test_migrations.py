"""Alembic migrations: the revisions build the declared schema, old databases are upgraded,
and neither servers nor admin commands run on a schema that is not this version's."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text

from server_stub import datadir, db
from server_stub.admin import Admin, AdminError
from server_stub.app import create_app
from server_stub.cli import main
from server_stub.store import engine as store_engine
from server_stub.store import migrate

from . import legacy_schema


@pytest.fixture
def database_url(empty_database_url: str | None) -> str | None:
    """Migrations start from an empty database (not the suite's copy of the head schema)."""
    return empty_database_url


def _url(tmp_path: Path, database_url: str | None) -> str:
    return database_url or f"sqlite:///{tmp_path / 'legacy.sqlite3'}"


def _schema_diff(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), db.metadata)


def test_the_revisions_build_exactly_the_declared_schema(tmp_path, database_url):
    """Fails when a table or column is added to db.py without an Alembic revision."""
    engine = db.make_engine(_url(tmp_path, database_url))
    try:
        st = migrate.upgrade(engine)
        assert st.current is None and st.head == migrate.head()
        assert _schema_diff(engine) == [], "add an Alembic revision (see CONVENTIONS/deploy.md)"
        migrate.check(engine)
    finally:
        engine.dispose()


def _legacy_folder(tmp_path: Path, url: str) -> Path:
    """A data folder as 'kiosk-server init' made it at 456f3e8: create_all, absolute path."""
    data = tmp_path / "data"
    data.mkdir()
    engine = db.make_engine(url)
    legacy_schema.metadata.create_all(engine)
    with db.write_txn(engine) as conn:
        conn.execute(insert(legacy_schema.sites).values(code="HQ", name="HQ", timezone="UTC"))
        conn.execute(insert(legacy_schema.employees).values(
            employee_id="E1", name="Ana", site="HQ", active=True, created_at=time.time()))
    engine.dispose()
    datadir.write_settings(data, url)
    datadir.ensure_admin_token(data)
    datadir.create_key(data, "k1")
    return data


def test_a_database_made_by_the_schema_before_alembic_is_upgraded(
    tmp_path, database_url, capsys
):
    data = _legacy_folder(tmp_path, _url(tmp_path, database_url))
    with pytest.raises(AdminError, match="kiosk-server migrate"):
        Admin.open(data)
    with pytest.raises(migrate.SchemaError, match="kiosk-server migrate") as exc:
        create_app(data)
    assert exc.value.problem is migrate.SchemaProblem.OLD

    assert main(["migrate", "--data", str(data)]) == 0
    assert "from revision 0001_baseline to" in capsys.readouterr().out
    admin = Admin.open(data)
    try:
        assert _schema_diff(admin.engine) == []
        with admin.engine.connect() as conn:
            assert conn.execute(select(db.employees.c.name)).scalar_one() == "Ana"
            assert "audit_log" in inspect(conn).get_table_names()
        admin.add_site("LAB", "Lab", "UTC")  # and the upgraded database takes writes
    finally:
        admin.close()
    assert main(["migrate", "--data", str(data)]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_serve_refuses_an_older_schema_and_says_what_to_run(tmp_path, database_url, capsys):
    data = _legacy_folder(tmp_path, _url(tmp_path, database_url))
    assert main(["serve", "--data", str(data), "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert "revision 0001_baseline" in err and "kiosk-server migrate --data DIR" in err


def test_a_newer_schema_is_refused(tmp_path, database_url):
    engine = db.make_engine(_url(tmp_path, database_url))
    try:
        migrate.create(engine)
        with db.write_txn(engine) as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
        with pytest.raises(migrate.SchemaError, match="newer server") as exc:
            migrate.check(engine)
        assert exc.value.problem is migrate.SchemaProblem.NEWER
    finally:
        engine.dispose()


def test_a_missing_sqlite_file_is_an_error_not_a_fresh_database(tmp_path, capsys):
    Admin.init(tmp_path / "data").close()
    (tmp_path / "data" / datadir.DB_FILE).unlink()
    with pytest.raises(AdminError, match="is missing"):
        Admin.open(tmp_path / "data")
    assert not (tmp_path / "data" / datadir.DB_FILE).exists()
    assert main(["serve", "--data", str(tmp_path / "data")]) == 1
    assert "restore" in capsys.readouterr().err


def test_a_moved_data_folder_uses_its_own_database(tmp_path):
    admin = Admin.init(tmp_path / "a")
    admin.add_site("HQ", "Head office", "UTC")
    admin.close()
    assert json.loads((tmp_path / "a" / "server.json").read_text())["database_url"] == \
        "sqlite:///server.sqlite3"
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    moved = Admin.open(tmp_path / "b")
    try:
        moved.add_site("LAB", "Lab", "UTC")
        assert str(tmp_path / "b") in str(moved.engine.url)
    finally:
        moved.close()
    original = Admin.open(tmp_path / "a")
    try:
        with original.engine.connect() as conn:
            assert conn.execute(select(db.sites.c.code)).scalars().all() == ["HQ"]
    finally:
        original.close()


def test_the_database_password_comes_from_the_environment_or_a_private_file(
    tmp_path, monkeypatch
):
    data = tmp_path / "d"
    data.mkdir()
    datadir.write_settings(data, "postgresql://kiosk@db1/kiosk",
                           database_password_file="db_password", pool_size=5)
    secret = data / "db_password"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    monkeypatch.delenv(store_engine.PASSWORD_ENV, raising=False)
    with pytest.raises(datadir.DataDirError, match="chmod 600"):
        store_engine.database_settings(data)
    secret.chmod(0o600)
    ds = store_engine.database_settings(data)
    assert (ds.url.drivername, ds.url.password, ds.pool_size) == ("postgresql+psycopg", "s3cret", 5)
    assert "s3cret" not in json.dumps(datadir.read_settings(data))
    monkeypatch.setenv(store_engine.PASSWORD_ENV, "from-env")
    assert store_engine.database_settings(data).url.password == "from-env"
