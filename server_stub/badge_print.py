"""Badge images: one PNG per badge, or a printable sheet of many (PNG or HTML).

The QR carries only the signed token; the printed name under it is for people. CJK names
need a CJK font: we look for Noto Sans CJK (Linux), then fall back to Pillow's font.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
CARD_W, CARD_H = 420, 520


@dataclass(frozen=True)
class PrintableBadge:
    name: str
    employee_id: str
    badge_id: str
    token: str


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONT_CANDIDATES:
        if Path(path).exists():
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return ImageFont.load_default(size)


def qr_image(token: str, box: int = 8) -> Image.Image:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=4)
    qr.add_data(token)
    qr.make(fit=True)
    image: Image.Image = qr.make_image(fill_color="black",
                                       back_color="white").get_image().convert("RGB")
    return image


def enrolment_png(text: str, caption: str) -> bytes:
    """The enrolment QR with one line under it (the terminal and site, never the code)."""
    qr = qr_image(text)
    card = Image.new("RGB", (qr.width, qr.height + 40), "white")
    card.paste(qr, (0, 0))
    ImageDraw.Draw(card).text((16, qr.height + 6), caption, fill="black", font=_font(20))
    return _png(card)


def badge_card(b: PrintableBadge) -> Image.Image:
    """One badge: QR code, the name, the employee and badge ids."""
    card = Image.new("RGB", (CARD_W, CARD_H), "white")
    qr = qr_image(b.token)
    qr.thumbnail((CARD_W - 40, CARD_W - 40))
    card.paste(qr, ((CARD_W - qr.width) // 2, 20))
    draw = ImageDraw.Draw(card)
    y = 30 + qr.height
    for text, size in ((b.name, 30), (f"{b.employee_id} \u00b7 badge {b.badge_id}", 18)):
        font = _font(size)
        w = draw.textlength(text, font=font)
        draw.text(((CARD_W - w) / 2, y), text, fill="black", font=font)
        y += size + 14
    draw.rectangle((0, 0, CARD_W - 1, CARD_H - 1), outline="#999999")
    return card


def badge_png(b: PrintableBadge) -> bytes:
    return _png(badge_card(b))


def sheet_png(badges: Sequence[PrintableBadge], columns: int = 3) -> bytes:
    """All badges on one image, ``columns`` per row, ready to print and cut."""
    if not badges:
        raise ValueError("no badges to print")
    columns = max(1, min(columns, len(badges)))
    rows = (len(badges) + columns - 1) // columns
    gap = 20
    sheet = Image.new("RGB", (columns * (CARD_W + gap) + gap, rows * (CARD_H + gap) + gap), "white")
    for i, b in enumerate(badges):
        r, c = divmod(i, columns)
        sheet.paste(badge_card(b), (gap + c * (CARD_W + gap), gap + r * (CARD_H + gap)))
    return _png(sheet)


def sheet_html(badges: Sequence[PrintableBadge], title: str = "Badges") -> str:
    """A self-contained page (QR codes inlined) that prints cleanly from any browser."""
    cards = []
    for b in badges:
        data = base64.b64encode(_png(qr_image(b.token))).decode()
        cards.append(
            f"<div class='card'><img alt='QR badge' src='data:image/png;base64,{data}'>"
            f"<div class='name'>{html.escape(b.name)}</div>"
            f"<div class='ids'>{html.escape(b.employee_id)} \u00b7 badge {html.escape(b.badge_id)}</div></div>"
        )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>
body{{font-family:"Noto Sans","Noto Sans CJK SC",system-ui,sans-serif;margin:1cm}}
.grid{{display:flex;flex-wrap:wrap;gap:.5cm}}
.card{{width:6cm;border:1px dashed #999;padding:.3cm;text-align:center;break-inside:avoid}}
.card img{{width:5cm;height:5cm;image-rendering:pixelated}}
.name{{font-size:14pt;font-weight:600}} .ids{{font-size:8pt;color:#555}}
</style></head><body><div class="grid">
{''.join(cards)}
</div></body></html>
"""


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
