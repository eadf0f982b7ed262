"""Reading when a signal expires: 'valid 4h', 'expires 16:00 UTC', 'valid today only'.

The patterns run on the normalised, lower-cased text, only after the scanner saw an expiry word.
A time of day without a zone is read as UTC (with a warning) and means its next occurrence after
the message was posted.
"""

from __future__ import annotations

import re
from typing import Final

# ASCII classes: a superscript or Arabic digit is no number and must never reach int().
_A = re.ASCII

EXPIRY_ABS_RE: Final = re.compile(
    r"\b(?:(?:valid|good|open|active|pending)\s*+)?(?:until|till|til|up\s*+to|before|expires?\s*+(?:at)?|"
    r"expiry\s*+(?:at)?|expiration\s*+(?:at)?|exp\s*+(?:at)?)\s*+[:]?\s*+(?:today\s*+)?(?:at\s*+)?"
    r"(?P<h>\d{1,2})(?::(?P<m>\d{2})|\s*+(?P<ampm>am|pm)|(?=\s*+(?:utc|gmt|z)\b))(?:\s*+(?P<ampm2>am|pm))?"
    r"\s*+(?P<tz>utc|gmt|z\b)?(?:\s*+(?P<sign>[+-])\s*+(?P<off>\d{1,2}))?",
    _A,
)
EXPIRY_REL_RE: Final = re.compile(
    r"\b(?:valid|good|active|expires?|expiry|expiration|exp|cancel(?:led)?\s*+(?:if\s*+not\s*+"
    r"(?:filled|triggered|activated|hit)\s*+)?|pending)\s*+(?:in|for|after|within|:)?\s*+(?:the\s*+next\s*+)?"
    r"(?P<n>\d+(?:\.\d+)?)\s*+(?P<unit>h|hr|hrs|hours?|m|min|mins|minutes?|d|days?)\b",
    _A,
)
EXPIRY_EOD_RE: Final = re.compile(
    r"\b(?:(?:valid|good)\s*+(?:for\s*+|until\s*+|till\s*+)?today|until\s*+(?:the\s*+)?end\s*+of\s*+"
    r"(?:the\s*+)?day|eod|today\s*+only|intraday\s*+only)\b",
    _A,
)

DAY_MS = 86_400_000
_UNIT_MS = {
    "h": 3_600_000,
    "hr": 3_600_000,
    "hrs": 3_600_000,
    "hour": 3_600_000,
    "hours": 3_600_000,
    "m": 60_000,
    "min": 60_000,
    "mins": 60_000,
    "minute": 60_000,
    "minutes": 60_000,
    "d": DAY_MS,
    "day": DAY_MS,
    "days": DAY_MS,
}


def find_expiry(low: str, posted_ms: int) -> tuple[int | None, str | None]:
    """(expires_at in epoch ms or None, warning or None) for the expiry written in a signal."""
    m = EXPIRY_REL_RE.search(low)
    if m is not None:
        amount = float(m.group("n"))
        unit = _UNIT_MS.get(m.group("unit"), 0)
        if amount > 0 and unit:
            return posted_ms + round(amount * unit), None
    m = EXPIRY_ABS_RE.search(low)
    if m is not None:
        hour = int(m.group("h"))
        minute = int(m.group("m") or 0)
        ampm = m.group("ampm") or m.group("ampm2")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        if hour <= 23 and minute <= 59:
            offset_h = 0
            if m.group("sign") and m.group("off"):
                offset_h = int(m.group("off")) * (1 if m.group("sign") == "+" else -1)
            day = posted_ms - posted_ms % DAY_MS
            at = day + (hour * 60 + minute) * 60_000 - offset_h * 3_600_000
            while at <= posted_ms:
                at += DAY_MS
            warning = None if m.group("tz") else "EXPIRY_TZ_ASSUMED_UTC"
            return at, warning
    if EXPIRY_EOD_RE.search(low):
        return posted_ms - posted_ms % DAY_MS + DAY_MS, None
    return None, None
