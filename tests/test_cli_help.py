"""Both command lines explain themselves: a description for every command, help text for
every argument, and the default shown wherever there is one (issue #16)."""

from __future__ import annotations

import argparse

import pytest

from kiosk.cli import build_parser as kiosk_parser
from server_stub.cli import build_parser as server_parser


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


@pytest.mark.parametrize("build", [kiosk_parser, server_parser], ids=["kiosk", "kiosk-server"])
def test_every_command_and_argument_has_help(build) -> None:
    parser = build()
    commands = _commands(parser)
    assert len(commands) >= 6
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    listed = {a.dest for a in sub._choices_actions if a.help}
    missing: list[str] = []
    for name, command in commands.items():
        if name not in listed:
            missing.append(f"{name}: no one-line help in the command list")
        if not (command.description or "").strip():
            missing.append(f"{name}: no description for --help")
        for action in command._actions:
            if action.help in (None, "") and not isinstance(action, argparse._HelpAction):
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
        text = command.format_help()
        for action in command._actions:
            default = action.default
            if action.option_strings and default not in (None, False, True, argparse.SUPPRESS):
                if f"(default:{default})".replace(" ", "") not in "".join(text.split()):
                    missing.append(f"{name} {action.option_strings[0]}: default not shown")
    assert not missing, missing
    for name, command in commands.items():
        flat = " ".join(command.format_help().split())
        assert "(default " not in flat, f"{name}: a default written by hand beside the shown one"


def test_kiosk_home_works_before_and_after_the_command(tmp_path) -> None:
    """docs/ui.md showed `kiosk demo --home DIR`, which argparse refused."""
    parser = kiosk_parser()
    assert parser.parse_args(["demo", "--home", "X"]).home == "X"
    assert parser.parse_args(["--home", "X", "demo"]).home == "X"
    assert parser.parse_args(["demo"]).home is None
    assert parser.parse_args(["--home", "X", "status", "--home", "Y"]).home == "Y"


@pytest.mark.parametrize("build", [kiosk_parser, server_parser], ids=["kiosk", "kiosk-server"])
def test_a_usage_error_is_one_line_exit_2(build, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        build().parse_args(["frobnicate"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ": error: " in err[0] and "--help" in err[0]
