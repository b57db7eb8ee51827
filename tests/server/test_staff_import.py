"""``import-employees`` (Admin.import_employees_csv) is all or nothing, like the console's."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from server_stub import db
from server_stub.admin import Admin, AdminError


def test_a_bad_row_stores_nothing_and_names_every_bad_line(tmp_path: Path) -> None:
    admin = Admin.init(tmp_path / "data")
    try:
        admin.add_site("HQ", "Head office")
        f = tmp_path / "staff.csv"
        f.write_text("employee_id,name,site\nA1,Good,HQ\nA2,,HQ\nA3,Three,MARS\n", encoding="utf-8")
        with pytest.raises(AdminError) as err:
            admin.import_employees_csv(f)
        assert "nothing imported" in str(err.value)
        assert "line 3: name must be" in str(err.value) and "line 4: unknown site" in str(err.value)
        with admin.engine.connect() as conn:
            assert conn.execute(select(db.employees)).all() == []
        f.write_text("employee_id,site\nA1,HQ\n", encoding="utf-8")
        with pytest.raises(AdminError, match="missing column"):
            admin.import_employees_csv(f)
        f.write_text("employee_id,name,site\nA1,Good,HQ\nA1,Again,HQ\n", encoding="utf-8")
        with pytest.raises(AdminError, match="also on line 2"):
            admin.import_employees_csv(f)
        with pytest.raises(AdminError, match="cannot read"):
            admin.import_employees_csv(tmp_path / "missing.csv")
    finally:
        admin.close()
