"""Measuring the parser on a labelled corpus (JSON lines), e.g. a user's own channel.

One line per message, processed in order by one parser (replies, edits and "latest open" refer
to earlier lines; `source` scopes them):

    {"id": "fx-1", "format": "emoji_multiline",
     "raw": {"source": "fx-vip", "message_id": "18423", "text": "...", "content_type": "TEXT",
             "posted_at": 1714982820000, "revision": 0, "reply_to_message_id": null,
             "edited_at": null},
     "expected": {"signals": [{"symbol": "EURUSD", "direction": "BUY", "entry": 1.0765, ...}],
                  "updates": [{"action": "BREAKEVEN", "target_signal_id": "fx-vip:18423:0"}],
                  "reject": null}}

Only the fields written under `expected` are scored (any field of the output records may be
used); floats match with a relative tolerance of 1e-9. `reject` is the expected reason code, or
null for "not rejected". The report gives per-field exact-match rates, the whole-message exact
match rate (every scored field of the line right) and the misses.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hive_signal_parser.parser import ParseResult, SignalParser

REL_TOL = 1e-9
_EXPECTED_KEYS = frozenset({"signals", "updates", "reject"})
_RAW_REQUIRED = ("source", "message_id", "text", "posted_at")


class CorpusError(ValueError):
    """A corpus line that cannot be used; the message names the line number."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class CorpusLine:
    line: int
    id: str
    format: str
    raw: dict[str, Any]
    expected: dict[str, Any]


@dataclass(frozen=True)
class Miss:
    id: str
    line: int
    field: str
    expected: Any
    got: Any


@dataclass
class FieldStat:
    total: int = 0
    matched: int = 0

    @property
    def rate(self) -> float:
        return self.matched / self.total if self.total else 1.0


@dataclass
class EvalReport:
    total: int = 0
    exact: int = 0
    fields: dict[str, FieldStat] = field(default_factory=dict)
    formats: dict[str, FieldStat] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)
    missed_ids: list[str] = field(default_factory=list)

    @property
    def exact_match_rate(self) -> float:
        return self.exact / self.total if self.total else 1.0

    @property
    def field_rates(self) -> dict[str, float]:
        return {name: stat.rate for name, stat in sorted(self.fields.items())}

    def to_dict(self) -> dict[str, Any]:
        return {
            "messages": self.total,
            "exact_matches": self.exact,
            "exact_match_rate": self.exact_match_rate,
            "fields": {
                k: {"total": v.total, "matched": v.matched, "rate": v.rate}
                for k, v in sorted(self.fields.items())
            },
            "formats": {
                k: {"messages": v.total, "exact": v.matched, "rate": v.rate}
                for k, v in sorted(self.formats.items())
            },
            "misses": [
                {"id": m.id, "line": m.line, "field": m.field, "expected": m.expected, "got": m.got}
                for m in self.misses
            ],
        }

    def format_text(self, max_misses: int = 50) -> str:
        out = [
            f"messages: {self.total}   whole-message exact match: {self.exact}/{self.total} "
            f"({self.exact_match_rate:.1%})",
            "",
            "per field:",
        ]
        width = max((len(k) for k in self.fields), default=10)
        for name, stat in sorted(self.fields.items()):
            out.append(f"  {name:<{width}}  {stat.matched:>5}/{stat.total:<5} {stat.rate:7.1%}")
        out.append("")
        out.append("per format (whole message):")
        width = max((len(k) for k in self.formats), default=10)
        for name, stat in sorted(self.formats.items()):
            out.append(f"  {name:<{width}}  {stat.matched:>5}/{stat.total:<5} {stat.rate:7.1%}")
        if self.misses:
            out.append("")
            out.append(f"misses ({len(self.misses)}):")
            for m in self.misses[:max_misses]:
                out.append(
                    f"  line {m.line} [{m.id}] {m.field}: expected {m.expected!r}, got {m.got!r}"
                )
            if len(self.misses) > max_misses:
                out.append(f"  ... and {len(self.misses) - max_misses} more")
        return "\n".join(out)


def load_corpus(lines: Iterable[str | Mapping[str, Any]]) -> list[CorpusLine]:
    """Check and read corpus lines (strings of JSON or already decoded objects)."""
    out: list[CorpusLine] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(lines, start=1):
        if isinstance(item, str):
            if not item.strip():
                continue
            try:
                obj = json.loads(item)
            except ValueError as exc:
                raise CorpusError(number, f"not valid JSON: {exc}") from None
        else:
            obj = item
        out.append(_check_line(number, obj, seen))
    return out


def _check_line(  # noqa: PLR0912 - one check per rule of the format
    number: int, obj: Any, seen: dict[str, int]
) -> CorpusLine:
    if not isinstance(obj, Mapping):
        raise CorpusError(number, "expected a JSON object")
    ident = obj.get("id")
    if not isinstance(ident, str) or not ident:
        raise CorpusError(number, "'id' must be a non-empty string")
    if ident in seen:
        raise CorpusError(number, f"id {ident!r} already used on line {seen[ident]}")
    seen[ident] = number
    fmt = obj.get("format", "")
    if not isinstance(fmt, str):
        raise CorpusError(number, "'format' must be a string")
    raw = obj.get("raw")
    if not isinstance(raw, Mapping):
        raise CorpusError(number, "'raw' must be an object (a signals.raw record)")
    for key in _RAW_REQUIRED:
        if key not in raw:
            raise CorpusError(number, f"raw.{key} is missing")
    if not isinstance(raw["text"], str):
        raise CorpusError(number, "raw.text must be a string")
    if isinstance(raw["posted_at"], bool) or not isinstance(raw["posted_at"], int):
        raise CorpusError(number, "raw.posted_at must be epoch milliseconds (an integer)")
    expected = obj.get("expected")
    if not isinstance(expected, Mapping):
        raise CorpusError(number, "'expected' must be an object")
    unknown = set(expected) - _EXPECTED_KEYS
    if unknown:
        raise CorpusError(number, f"expected has unknown keys {sorted(unknown)}")
    for key in ("signals", "updates"):
        items = expected.get(key, [])
        if not isinstance(items, list) or not all(isinstance(x, Mapping) for x in items):
            raise CorpusError(number, f"expected.{key} must be a list of objects")
    reject = expected.get("reject")
    if reject is not None and not isinstance(reject, str):
        raise CorpusError(number, "expected.reject must be a reason code or null")
    return CorpusLine(number, ident, fmt or "unspecified", dict(raw), dict(expected))


def same(expected: Any, got: Any) -> bool:
    """Equality with a relative tolerance for floats (and lists of them)."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got if isinstance(expected, bool) and isinstance(got, bool) else False
    if isinstance(expected, int | float) and isinstance(got, int | float):
        return math.isclose(float(expected), float(got), rel_tol=REL_TOL, abs_tol=1e-12)
    if isinstance(expected, list) and isinstance(got, list):
        return len(expected) == len(got) and all(
            same(a, b) for a, b in zip(expected, got, strict=True)
        )
    return bool(expected == got)


def evaluate(
    lines: Iterable[str | Mapping[str, Any]],
    parser_factory: Callable[[], SignalParser] = SignalParser,
) -> EvalReport:
    """Run one parser over the corpus in order and score it (see the module doc)."""
    corpus = load_corpus(lines)
    parser = parser_factory()
    report = EvalReport()
    for item in corpus:
        result = parser.parse(item.raw)
        misses = score(item, result, report)
        report.total += 1
        stat = report.formats.setdefault(item.format, FieldStat())
        stat.total += 1
        if misses:
            report.misses.extend(misses)
            report.missed_ids.append(item.id)
        else:
            report.exact += 1
            stat.matched += 1
    return report


def evaluate_file(path: str | Path) -> EvalReport:
    """Evaluate a corpus file; CorpusError names the bad line."""
    with Path(path).open(encoding="utf-8") as fh:
        return evaluate(fh)


def score(item: CorpusLine, result: ParseResult, report: EvalReport) -> list[Miss]:
    """Compare one line's result with its labels; counts go into `report.fields`."""
    misses: list[Miss] = []

    def check(name: str, expected: Any, got: Any) -> None:
        stat = report.fields.setdefault(name, FieldStat())
        stat.total += 1
        if same(expected, got):
            stat.matched += 1
        else:
            misses.append(Miss(item.id, item.line, name, expected, got))

    exp = item.expected
    if "reject" in exp:
        got_reason = result.rejection.reason if result.rejection is not None else None
        check("reject", exp["reject"], got_reason)
    for key, produced in (("signals", result.signals), ("updates", result.updates)):
        if key not in exp:
            continue
        wanted: list[Mapping[str, Any]] = exp[key]
        check(f"{key}.count", len(wanted), len(produced))
        for k, want in enumerate(wanted):
            have = produced[k] if k < len(produced) else {}
            for name, value in want.items():
                check(f"{key}.{name}", value, have.get(name, _Absent()))
    return misses


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Absent)

    def __hash__(self) -> int:
        return 0
