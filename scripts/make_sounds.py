"""Regenerate the feedback sounds in resources/sounds (small 16-bit mono WAV files).

    python scripts/make_sounds.py

Short sine tones with soft edges: a rising two-note chime for "recorded", one soft note
for information, a low double buzz for "refused". Generated, so no licence questions.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22050
OUT = Path(__file__).resolve().parent.parent / "resources" / "sounds"


def tone(freq: float, seconds: float, volume: float = 0.35) -> list[float]:
    n = int(RATE * seconds)
    fade = int(RATE * 0.012)
    out = []
    for i in range(n):
        env = min(1.0, i / fade, (n - i) / fade)
        out.append(volume * env * math.sin(2 * math.pi * freq * i / RATE))
    return out


def silence(seconds: float) -> list[float]:
    return [0.0] * int(RATE * seconds)


def write(name: str, samples: list[float]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with wave.open(str(OUT / f"{name}.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(s * 32767)) for s in samples))


def main() -> None:
    write("ok", tone(880, 0.09) + tone(1320, 0.14))
    write("info", tone(660, 0.16, 0.3))
    write("error", tone(220, 0.16) + silence(0.06) + tone(220, 0.2))
    print(f"wrote {sorted(p.name for p in OUT.glob('*.wav'))} to {OUT}")


if __name__ == "__main__":
    main()
