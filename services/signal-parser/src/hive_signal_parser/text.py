"""Text normalisation: decoration out, one spelling for dashes, checks and numbers.

Channels decorate signals with emojis, arrows, bullets and markdown; the grammar only ever sees
plain ASCII-ish text in which:

- every dash is '-', every check mark ('✅', '✔', '☑') is '✓' and other pictographs are spaces;
- markdown emphasis ('*', '_', '`'), '#', '$', '|', quotes and brackets are spaces;
- keycap digits ('1️⃣') read as list markers ('1)');
- thousands separators are gone ('64,200' -> '64200') and a decimal comma is a point
  ('1,0850' -> '1.0850').

Line breaks are kept (one per line break run); runs of other whitespace become one space. The case
is kept too (two-letter symbol aliases and 'BE' only count in upper case).
"""

from __future__ import annotations

import re

CHECK = "\u2713"  # ✓

MAX_TEXT_CHARS = 16_000


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    # Pictographs, dingbats, arrows, geometric shapes, box drawing, math operators...
    for lo, hi in (
        (0x2000, 0x2BFF),
        (0x1F000, 0x1FAFF),
        (0x2E00, 0x2E7F),
        (0x3000, 0x303F),
    ):
        for cp in range(lo, hi + 1):
            table[cp] = " "
    for cp in range(0xFE00, 0xFE10):  # variation selectors
        table[cp] = ""
    for cp in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x200E, 0x200F):
        table[cp] = ""
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII
        table[cp] = chr(cp - 0xFEE0)
    for cp in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE58, 0xFE63, 0xFF0D):
        table[cp] = "-"
    for cp in (0x2018, 0x2019, 0x201A, 0x201B, 0x2032):
        table[cp] = "'"
    for cp in (0x2705, 0x2714, 0x2611, 0x2713, 0x1F5F8):
        table[cp] = f" {CHECK} "
    table[0x20E3] = ") "  # combining keycap: 1️⃣ -> "1) "
    table[0x2026] = " "  # …
    table[0x00A0] = " "
    table[0x00B7] = " "
    table[0x00D7] = "x"  # multiplication sign: 10x leverage
    table[0x2044] = "/"
    table[0x2215] = "/"
    table[0x201C] = " "
    table[0x201D] = " "
    table[0x00AB] = " "
    table[0x00BB] = " "
    for ch in '*_`#$|"[]{}<>^\\\t\r\x0b\x0c':
        table[ord(ch)] = " "
    table[ord("\r")] = ""
    return table


_TABLE = _build_table()
_ASCII_TABLE = bytes(
    ord(_TABLE.get(b, chr(b))) if len(_TABLE.get(b, chr(b))) == 1 else b for b in range(128)
) + bytes(range(128, 256))

# '64,200' / '39,250.50' -> no separator; never inside lists like '150,155,160'.
_SPACES = re.compile(r"\s{2,}")
_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3}),(\d{3})(?=\.\d|[^\d,]|,\s|$)", re.ASCII)
# '1,0850' (one leading digit, four or five decimals) -> '1.0850'.
_DECIMAL_COMMA = re.compile(r"(?<![\d.,])(\d),(\d{4,5})(?![\d,])", re.ASCII)


def normalise(text: str) -> str:
    """Decoration-free text with the case and line structure kept (see the module doc)."""
    if text.isascii():  # the common case: a fast byte-level translation
        out = text.encode("ascii").translate(_ASCII_TABLE).decode("ascii")
        if "\r" in out:
            out = out.replace("\r", "")
    else:
        out = text.translate(_TABLE)
    if "," in out:
        out = _THOUSANDS.sub(r"\1\2", out)
        out = _DECIMAL_COMMA.sub(r"\1.\2", out)
    # One space between words, one line break between lines: the patterns never see a run of
    # whitespace (their adjacent `\s*` would backtrack over long runs).
    if "\n" in out:
        out = "\n".join(line.strip() for line in out.split("\n") if line and not line.isspace())
    return _SPACES.sub(" ", out).strip()


# What the token scanner needs from the text: one spelling for dashes, slashes and keycap digits,
# plain numbers. Everything else (emojis, markdown, quotes) the tokeniser skips by itself.
_FANCY = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\u20e3\u2044\u2215\uff01-\uff5e]")
_FANCY_MAP = {
    **{
        chr(cp): "-"
        for cp in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE58, 0xFE63)
    },
    "\u20e3": ") ",
    "\u2044": "/",
    "\u2215": "/",
}


def _fancy(m: re.Match[str]) -> str:
    ch = m.group(0)
    mapped = _FANCY_MAP.get(ch)
    return mapped if mapped is not None else chr(ord(ch) - 0xFEE0)


def prepare(text: str) -> str:
    """The light normalisation the token scanner needs (cheaper than `normalise`)."""
    if not text.isascii() and _FANCY.search(text) is not None:
        text = _FANCY.sub(_fancy, text)
    if "," in text:
        text = _THOUSANDS.sub(r"\1\2", text)
        text = _DECIMAL_COMMA.sub(r"\1.\2", text)
    return text


def shift_thousands(number: str) -> str:
    """'65' -> '65000', '65.5' -> '65500', '1.25' -> '1250': the value of '<number>k' as text."""
    whole, _, frac = number.partition(".")
    frac = (frac + "000")[:3] + "." + frac[3:] if len(frac) > 3 else (frac + "000")[:3]
    digits = (whole + frac).lstrip("0") or "0"
    if digits.startswith("."):
        digits = "0" + digits
    return digits.rstrip(".")
