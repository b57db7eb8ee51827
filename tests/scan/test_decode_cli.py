"""`kiosk decode` as a user runs it: a subprocess printing JSON lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kiosk.scan.synthetic import PRESETS, qr_image, render_frame

REPO = Path(__file__).resolve().parents[2]


def run_kiosk(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "KIOSK_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "decode", *args],
        capture_output=True, text=True, env=env, timeout=120, cwd=REPO,
    )


def save(path: Path, frame: np.ndarray) -> None:
    """A BGR or gray frame to an image file (Pillow, as a camera snapshot tool would)."""
    Image.fromarray(frame[:, :, ::-1] if frame.ndim == 3 else frame).save(path)


def lines(proc: subprocess.CompletedProcess[str]) -> list[dict]:
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_images_folder_and_video_decode_to_json_lines(tmp_path, token):
    cv2 = pytest.importorskip("cv2")  # only to write the video
    save(tmp_path / "badge.png", render_frame(token, perturb=PRESETS["tilt"]))
    save(tmp_path / "empty.jpg", render_frame(None))
    folder = tmp_path / "shots"
    folder.mkdir()
    save(folder / "a.png", qr_image("first"))
    save(folder / "b.png", qr_image("second"))
    video = tmp_path / "clip.avi"
    w = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 5, (640, 480))
    for i in range(3):
        w.write(render_frame("frame-text" if i != 1 else None, seed=i))
    w.release()

    proc = run_kiosk(str(tmp_path / "badge.png"), str(tmp_path / "empty.jpg"), str(folder), str(video), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = lines(proc)
    assert [o["texts"] for o in out] == [[token], [], ["first"], ["second"], ["frame-text"], [], ["frame-text"]]
    assert [o.get("frame") for o in out[-3:]] == [0, 1, 2]
    assert out[2]["path"].endswith("a.png")
    assert all(isinstance(o["ms"], float) and 0 < o["ms"] < 5000 for o in out)
    assert "Traceback" not in proc.stderr


def test_corrupt_and_missing_files_give_error_lines_and_exit_1(tmp_path):
    good = tmp_path / "good.png"
    save(good, qr_image("still read"))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 300)
    proc = run_kiosk(
        str(tmp_path / "broken.png"), str(tmp_path / "missing.png"), str(tmp_path / "broken.mp4"), str(good),
        home=tmp_path,
    )
    assert proc.returncode == 1
    out = lines(proc)
    assert len(out) == 4
    assert all(o["error"].endswith(".") for o in out[:3])
    assert "corrupt" in out[0]["error"] and "No such file" in out[1]["error"]
    assert out[3]["texts"] == ["still read"]  # a bad file does not stop the others
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("backend", ["zxingcpp", "pyzbar"])
def test_backend_option(tmp_path, backend):
    save(tmp_path / "q.png", qr_image("backend test"))
    proc = run_kiosk("--backend", backend, str(tmp_path / "q.png"), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert lines(proc)[0]["texts"] == ["backend test"]


def test_backend_from_config_and_bad_backend(tmp_path):
    import argparse

    from kiosk.commands.decode import _configured_backend

    (tmp_path / "config").mkdir()
    cfg = tmp_path / "config" / "kiosk.toml"
    cfg.write_text('[camera]\ndecoder = "pyzbar"\n')
    assert _configured_backend(argparse.Namespace(home=str(tmp_path))) == "pyzbar"
    save(tmp_path / "q.png", qr_image("cfg"))
    assert lines(run_kiosk(str(tmp_path / "q.png"), home=tmp_path))[0]["texts"] == ["cfg"]
    cfg.write_text('[camera]\ndecoder = "wechat"\n')
    proc = run_kiosk(str(tmp_path / "q.png"), home=tmp_path)
    assert proc.returncode == 0 and "ignoring the config" in proc.stderr
    proc = run_kiosk("--backend", "nope", str(tmp_path / "q.png"), home=tmp_path)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


@pytest.mark.parametrize("backend", ["zxingcpp", "pyzbar"])
def test_exact_text_by_default_readable_behind_a_flag(tmp_path, backend):
    content = "\x01\x10ab\x1dc\x7f|tab\there"  # GS1-style separators, controls a caller must match
    save(tmp_path / "ctl.png", qr_image(content))
    proc = run_kiosk("--backend", backend, str(tmp_path / "ctl.png"), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert lines(proc)[0]["texts"] == [content]
    assert "\\u0001\\u0010" in proc.stdout  # JSON escapes them: one line per image stays one line
    proc = run_kiosk("--backend", backend, "--readable", str(tmp_path / "ctl.png"), home=tmp_path)
    assert lines(proc)[0]["texts"] == ["<SOH><DLE>ab<GS>c<DEL>|tab\there"]


def test_exact_and_readable_text_units():
    from kiosk.core.text import exact_text, readable_text

    assert exact_text(b"\x01\x10") == "\x01\x10"
    assert exact_text("Grüße".encode()) == "Grüße"
    assert exact_text(b"caf\xe9") == "café"  # not UTF-8: ISO-8859-1, the QR default
    assert exact_text(b"\x93\xfa", decoded="日") == "日"  # the decoder's transcoding (ECI) wins
    assert readable_text("\x00a\r\n\x1b") == "<NUL>a\r\n<ESC>"
