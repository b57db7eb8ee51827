"""The sequence file shared by several processes on one outbox (kiosk, ``kiosk sync``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kiosk.store.seqfile import SeqFile

REPO = Path(__file__).resolve().parents[2]


def _on_disk(path: Path) -> dict[str, dict[str, int]]:
    data: dict[str, dict[str, int]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_a_stale_view_never_writes_a_number_back_down(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3.seq"
    kiosk, sync = SeqFile(path), SeqFile(path)  # both opened on an empty file
    kiosk.raise_last("t1", 10)
    assert sync.raise_server("t1", 3)  # its view of "last" is still empty
    assert _on_disk(path) == {"last": {"t1": 10}, "server": {"t1": 3}}
    sync.raise_last("t2", 4)
    kiosk.lower_last("t1", 9)  # the row for 10 rolled back
    assert _on_disk(path) == {"last": {"t1": 9, "t2": 4}, "server": {"t1": 3}}
    assert SeqFile(path).last("t1") == 9


def test_a_number_another_process_handed_out_is_not_given_back(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3.seq"
    a, b = SeqFile(path), SeqFile(path)
    a.raise_last("t1", 5)
    b.raise_last("t1", 6)
    a.lower_last("t1", 4)  # a's 5 rolled back, but 6 is b's now
    assert _on_disk(path)["last"] == {"t1": 6}


def test_writers_in_several_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3.seq"
    code = (
        "import sys\nfrom pathlib import Path\nfrom kiosk.store.seqfile import SeqFile\n"
        "f = SeqFile(Path(sys.argv[1])); me = sys.argv[2]\n"
        "for n in range(1, 121):\n"
        "    f.raise_last(me, n)\n"
        "    f.raise_server('shared', n)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), f"t{i}"], env=env,
                              stderr=subprocess.PIPE, text=True) for i in range(3)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    assert _on_disk(path) == {"last": {"t0": 120, "t1": 120, "t2": 120},
                              "server": {"shared": 120}}
    assert not list(tmp_path.glob("*.tmp"))
