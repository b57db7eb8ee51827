"""kiosk-server's first-day stumbles (issue #16), each as the user meets it.

In-process (``main(argv)`` with the real data folder in tmp_path) so the many cases stay
fast; tests/server/test_cli.py runs the command as a subprocess end to end.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from server_stub.admin import Admin
from server_stub.cli import main


@pytest.fixture
def data(tmp_path: Path) -> list[str]:
    d = ["--data", str(tmp_path / "d")]
    assert main(["init", *d]) == 0
    assert main(["add-site", "HQ", "Head office", "--timezone", "Europe/Berlin", *d]) == 0
    assert main(["add-employee", "E1", "Ana", "--site", "HQ", *d]) == 0
    return d


def one_error_line(capsys, needle: str) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("kiosk-server") and ": error: " in lines[0], err
    assert needle in lines[0], err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("serve", "--port", "99999"), "99999 is out of range: use 0 to 65535"),
        (("serve", "--port", "-1"), "-1 is out of range"),
        (("serve", "--port", "eighty"), "not a whole number"),
        (("add-terminal", "Door", "--site", "HQ", "--valid-days", "0"), "use 1 to 365 days"),
        (("add-terminal", "Door", "--site", "HQ", "--valid-days", "-5"), "use 1 to 365 days"),
        (("add-terminal", "Door", "--site", "HQ", "--valid-days", "10000000000000"),
         "use 1 to 365 days"),
        (("add-site", "WH", "Warehouse"), "--timezone"),
        (("report", "--from", "2026-13-01", "--to", "2026-12-01"), "month must be in 1..12"),
        (("report", "--from", "yesterday", "--to", "2026-12-01"), "YYYY-MM-DD"),
        (("report", "--from", "2026-11-01", "--to", "2026-11-02", "--out",
          "/nonexistent/dir/r.csv"), "the folder /nonexistent/dir does not exist"),
        (("export", "--out", "/nonexistent/dir/p.jsonl"), "does not exist"),
        (("issue-badge", "E1", "--days", "0"), "use 1 to 3650 days"),
        (("set-cooldown", "-3"), "use 0 to 3600 seconds"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(data, capsys, args, needle) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*args, *data])
    assert exit_.value.code == 2
    line = one_error_line(capsys, needle)
    assert "--help" in line  # and what to do next


def test_bad_output_folder_is_refused_before_badges_are_issued(data, tmp_path, capsys) -> None:
    for out, needle in ((tmp_path / "no" / "sheet.png", "does not exist"),
                        (tmp_path / "sheet.pdf", "must end in .png or .html")):
        with pytest.raises(SystemExit) as exit_:
            main(["print-badges", "--out", str(out), *data])
        assert exit_.value.code == 2
        one_error_line(capsys, needle)
    admin = Admin.open(tmp_path / "d")
    try:
        assert admin.export_punches() == []
        with admin.engine.connect() as conn:
            from sqlalchemy import func, select

            from server_stub import db

            assert conn.execute(select(func.count()).select_from(db.badges)).scalar_one() == 0
    finally:
        admin.close()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--site", "hq"), "unknown site 'hq'; did you mean 'HQ'? (case matters)"),
        (("--site", "XX"), "unknown site 'XX'; known: HQ"),
        (("--employee", "E9999"), "unknown employee 'E9999'; see 'kiosk-server employees'"),
    ],
)
def test_report_filters_that_match_nothing_are_refused(data, capsys, args, needle) -> None:
    """Only the header and exit 0 looked like "nobody came"."""
    assert main(["report", "--from", "2026-11-02", "--to", "2026-11-03", *args, *data]) == 1
    one_error_line(capsys, needle)
    assert capsys.readouterr().out == ""


def test_report_with_a_known_site_still_works(data, capsys) -> None:
    assert main(["report", "--from", "2026-11-02", "--to", "2026-11-03", "--site", "HQ",
                 "--format", "json", *data]) == 0
    assert isinstance(json.loads(capsys.readouterr().out), list)


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("postgres://admin:s3cret@db.example/kiosk",
         "use postgresql+psycopg://admin:***@db.example/kiosk"),
        ("notaurl", "'notaurl' is not a database URL; write it like postgresql+psycopg://"),
        ("oracle+nosuch://x@y/z", "no database driver called 'oracle+nosuch'"),
    ],
)
def test_init_with_a_bad_database_url_says_what_to_write(tmp_path, capsys, url, needle) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["init", "--data", str(tmp_path / "d"), "--database-url", url])
    assert exit_.value.code == 2
    line = one_error_line(capsys, needle)
    assert "s3cret" not in line
    assert not (tmp_path / "d").exists()


def test_init_with_an_unreachable_database_says_what_to_check(tmp_path, capsys) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql+psycopg://postgres:pw@127.0.0.1:{port}/nowhere_h16"
    assert main(["init", "--data", str(tmp_path / "d"), "--database-url", url]) == 1
    line = one_error_line(capsys, "cannot create the database at postgresql+psycopg://postgres:***@")
    assert "check that the database server runs" in line and "pw@" not in line
    assert main(["init", "--data", str(tmp_path / "d")]) == 0  # nothing half-made is in the way


def test_import_is_all_or_nothing_and_names_every_bad_line(data, tmp_path, capsys) -> None:
    csv = tmp_path / "staff.csv"
    csv.write_text("employee_id,name,site\nE2,Bo,HQ\nE3,Cy,XX\nE4,,HQ\nE5,Di,HQ\n",
                   encoding="utf-8")
    assert main(["import-employees", str(csv), *data]) == 1
    line = one_error_line(capsys, "2 bad row(s), nothing was imported")
    assert "line 3: unknown site 'XX'" in line and "line 4: employee E4" in line
    assert main(["employees", "--json", *data]) == 0
    assert [e["employee_id"] for e in json.loads(capsys.readouterr().out)] == ["E1"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("E2,Bo,HQ\nE3,Cy,HQ\n", "has no header line; its first line must name the columns"),
        ("", "is empty"),
        ("employee_id,name,site\n", "has a header line but no employees below it"),
        ("id,name,site\nE2,Bo,HQ\n", "lacks the column(s) employee_id (its first line has 'id'"),
        (b"employee_id,name,site\nE2,Bj\xf6rn,HQ\n", "is not UTF-8 text"),
    ],
)
def test_import_mistakes_are_named(data, tmp_path, capsys, text, needle) -> None:
    csv = tmp_path / "staff.csv"
    if isinstance(text, bytes):
        csv.write_bytes(text)
    else:
        csv.write_text(text, encoding="utf-8")
    assert main(["import-employees", str(csv), *data]) == 1
    one_error_line(capsys, needle)


@pytest.mark.parametrize("sep", [";", "\t"])
def test_import_reads_semicolon_and_tab_separated_files(data, tmp_path, capsys, sep) -> None:
    csv = tmp_path / "staff.csv"
    csv.write_text("\ufeff" + sep.join(["Employee_ID", "Name", "Site", "Shift"]) + "\n"
                   + sep.join(["E2", "王芳", "HQ", ""]) + "\n", encoding="utf-8")
    assert main(["import-employees", str(csv), *data]) == 0
    assert "Imported 1" in capsys.readouterr().out
    assert main(["employees", *data]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["ID", "NAME", "SITE", "SHIFT", "ACTIVE"]
    assert out[2].split() == ["E2", "王芳", "HQ", "-", "yes"]


def test_employees_lists_inactive_ones_and_filters_by_site(data, capsys) -> None:
    assert main(["deactivate-employee", "E1", *data]) == 0
    capsys.readouterr()
    assert main(["employees", "--site", "HQ", "--json", *data]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"employee_id": "E1", "name": "Ana", "site": "HQ", "shift": None, "active": False}]
    assert main(["employees", "--site", "hq", *data]) == 1
    one_error_line(capsys, "did you mean 'HQ'")


def test_terminals_table_has_a_header_heartbeat_and_version(data, tmp_path, capsys) -> None:
    from kiosk.core.clock import SystemClock
    from kiosk.core.protocol import Heartbeat
    from server_stub.runner import EmbeddedServer
    from tests.server.terminal_client import enroll

    assert main(["add-terminal", "Door", "--site", "HQ", *data]) == 0
    code = capsys.readouterr().out.strip()
    server = EmbeddedServer(tmp_path / "d")
    server.start()
    try:
        term = enroll(server.url, code, SystemClock())
        beat = Heartbeat(app_version="9.8.7", pending=3).model_dump_json().encode()
        assert term.request("POST", "/heartbeat", beat).status_code == 200
        term.close()
    finally:
        server.stop()
    e = {"terminal_id": term.terminal_id}
    assert main(["terminals", *data]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:5] == ["TERMINAL", "NAME", "SITE", "STATE", "VERSION"]
    assert "LAST HEARTBEAT" in header and "PENDING" in header
    assert e["terminal_id"] in row and "9.8.7" in row and " 3 " in row
    assert "never" not in row.split("9.8.7")[1].split(" 3 ")[0]  # a heartbeat time
    assert "." not in row.split("9.8.7")[1].split("Z")[0]  # whole seconds


def test_an_unexpected_error_is_one_line_not_a_traceback(data, capsys, monkeypatch) -> None:
    import server_stub.cli as cli

    def boom(args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "cmd_employees", boom)
    assert main(["employees", *data]) == 1
    one_error_line(capsys, "unexpected RuntimeError: a bug; this is a bug - run again with "
                           "KIOSK_DEBUG=1")
    monkeypatch.setenv("KIOSK_DEBUG", "1")
    with pytest.raises(RuntimeError):
        main(["employees", *data])


def test_serve_on_a_busy_port_says_so(data, capsys) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        assert main(["serve", "--port", str(port), *data]) == 1
    one_error_line(capsys, f"cannot listen on 127.0.0.1:{port}")
