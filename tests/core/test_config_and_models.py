"""Typed config (clear error per bad key, atomic save) and the Punch payload model."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from kiosk.core.config import Config, ConfigError, load_config, save_config
from kiosk.core.protocol import Punch, PunchBatch


def test_missing_file_is_defaults(tmp_path):
    cfg = load_config(tmp_path / "none.toml")
    assert cfg.scan.cooldown_s == 60 and not cfg.enrolled


def test_unknown_key_suggests_fix(tmp_path):
    p = tmp_path / "k.toml"
    p.write_text("[camera]\nfsp = 30\n")
    with pytest.raises(ConfigError, match=r"unknown key 'camera.fsp'.*did you mean 'fps'"):
        load_config(p)


def test_bad_value_names_key_and_value(tmp_path):
    p = tmp_path / "k.toml"
    p.write_text('[camera]\nfps = -1\n[server]\nurls = ["ftp://x"]\n')
    with pytest.raises(ConfigError) as err:
        load_config(p)
    text = str(err.value)
    assert "'camera.fps'" in text and "-1" in text and "http://" in text


def test_not_toml(tmp_path):
    p = tmp_path / "k.toml"
    p.write_text("[camera\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(p)


def test_save_and_reload_round_trip(tmp_path):
    cfg = Config()
    cfg.terminal.id = "t-1"
    cfg.server.urls = ["http://127.0.0.1:8000/"]
    cfg.ui.fullscreen = False
    path = tmp_path / "cfg" / "kiosk.toml"
    save_config(cfg, path)
    again = load_config(path)
    assert again == Config.model_validate(cfg.model_dump())
    assert again.server.urls == ["http://127.0.0.1:8000"]
    assert path.stat().st_mode & 0o777 == 0o600
    assert not list(path.parent.glob(".*tmp"))


# The server accepts any terminal name of 1 to 200 characters: the hand-made TOML writer
# wrote a newline raw into a basic string, and the kiosk could not read its own file.
NASTY_NAMES = ["Door\nHQ", "tab\there", 'quote " and \\ backslash', "bell \x07 del \x7f",
               "line\u2028separator", "前门 (HQ)", "trailing newline\n", "'''", '"""']


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_any_terminal_name_the_server_accepts_round_trips(tmp_path, name):
    cfg = Config()
    cfg.terminal.name = name
    cfg.terminal.site = name
    path = tmp_path / "kiosk.toml"
    save_config(cfg, path)
    assert load_config(path).terminal.name == name


@settings(max_examples=200, deadline=None)
@given(name=st.text(min_size=1, max_size=200))
def test_every_terminal_name_round_trips(tmp_path_factory, name):
    cfg = Config()
    cfg.terminal.name = name
    path = tmp_path_factory.mktemp("cfg") / "kiosk.toml"
    save_config(cfg, path)
    assert load_config(path).terminal.name == name


def _punch(**kw):
    base = dict(
        event_id=uuid.uuid4(), terminal_id="t1", seq=1, badge="KB1.x", source="camera",
        wall_time=datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc), clock_offset_s=-600.0,
        app_version="0.1.0",
    )
    base.update(kw)
    return Punch(**base)


def test_punch_server_time_applies_offset():
    assert _punch().server_time == datetime(2026, 11, 2, 7, 50, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "bad",
    [
        {"seq": 0},
        {"wall_time": datetime(2026, 11, 2, 8, 0)},  # naive: which zone?
        {"source": "telepathy"},
        {"terminal_id": "a b"},
        {"extra": 1},
    ],
)
def test_punch_validation(bad):
    with pytest.raises(ValidationError):
        _punch(**bad)


def test_batch_limits():
    with pytest.raises(ValidationError):
        PunchBatch(punches=[])
    with pytest.raises(ValidationError):
        PunchBatch(punches=[_punch(seq=i + 1) for i in range(501)])
