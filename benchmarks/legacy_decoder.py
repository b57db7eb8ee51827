"""The decoder's second pass as it was before issue #12 item 6, kept only so
``benchmarks.decoder_holdout`` can score it beside the new one.

Its five steps and their constants (crop margins 0.6 and 0.25, scales 2× and 1.5×, which
binarizer follows which view, the order) were chosen on the 110 shared photos, each step
added when it read one more of them: two of them read exactly one photo each (set-4/32,
set-4/08) and none other. Nothing in the kiosk imports this module.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import zxingcpp

from kiosk.scan.decoder import Decoded, PyzbarDecoder, ZxingDecoder, _unique, to_gray
from kiosk.scan.imageops import clahe, sharpened_2x, upscale
from kiosk.scan.stages import region_around


class LegacyPipeline:
    """``decode(frame)`` with the old pass 2 (global, sharpened, equalised, zbar, equalised_2x)."""

    def __init__(self) -> None:
        self._zx = ZxingDecoder()
        self._zx_global = ZxingDecoder(zxingcpp.Binarizer.GlobalHistogram)
        try:
            self._zbar: PyzbarDecoder | None = PyzbarDecoder()
        except Exception:  # noqa: BLE001 - optional, as in the old pipeline
            self._zbar = None
        self.last_step = ""

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        self.last_step = ""
        gray = to_gray(frame)
        results = self._zx.read(gray, return_errors=True)
        found = ZxingDecoder.convert(results)
        located = [r for r in results if not r.valid]
        if found or not located:
            return _unique(found)
        return _unique(self._second_pass(gray, located))

    def _second_pass(self, gray: np.ndarray, located: list[Any]) -> list[Decoded]:
        corners = [(int(p.x), int(p.y)) for r in located
                   for p in (r.position.top_left, r.position.top_right, r.position.bottom_right, r.position.bottom_left)]
        found = self._zx_global.decode_gray(gray)
        if found:
            return self._step("global", found)
        wide = region_around(gray, corners, margin=0.6)
        x0, y0 = wide.offset
        found = ZxingDecoder.convert(self._zx.read(sharpened_2x(wide.gray)), offset=(x0, y0), scale=2.0)
        if found:
            return self._step("sharpened", found)
        crop = region_around(gray, corners, margin=0.25)
        cx0, cy0 = crop.offset
        found = ZxingDecoder.convert(self._zx_global.read(clahe(upscale(crop.gray, 1.5))), offset=(cx0, cy0), scale=1.5)
        if found:
            return self._step("equalised", found)
        if self._zbar is not None:
            found = self._zbar.decode_gray(crop.gray, offset=(cx0, cy0))
            if found:
                return self._step("zbar", found)
        found = ZxingDecoder.convert(self._zx_global.read(clahe(upscale(wide.gray, 2.0))), offset=(x0, y0), scale=2.0)
        if found:
            return self._step("equalised_2x", found)
        return []

    def _step(self, name: str, found: list[Decoded]) -> list[Decoded]:
        self.last_step = name
        return found
