"""Typed reads of the hive's Avro records, with the topic's schema as the only source of truth.

`read(topic, record)` opens a decoded record (a mapping: enums as strings, timestamps as epoch
ms) against the topic's value schema; its accessors give one field each, typed for mypy:

- a missing field takes the schema's default, or is a `missing_field` error when it has none;
- the value is checked against the field's schema by fastavro (`wrong_type`), enum symbols
  against the schema's symbols (`unknown_symbol`; `known=True` also refuses the enum's default,
  UNKNOWN, the symbol a reader maps a newer writer's symbols to);
- two checks every service makes are offered too: numbers are finite (`not_finite`, NaN is
  valid Avro but never a price) and ids are non-empty (`empty_string`).

Only the fields a service asks for are read: a newer writer may add any, and a service does
not refuse a record for a field it does not use. Asking for a field the schema does not have,
or with an accessor its type cannot give, is a programming error (`ContractMismatchError`).

Every error is a `RecordError` carrying a reason code and a message naming the topic and the
field path (`signals.scored.v1: signal.direction must be one of ...`); a service passes
`errors=` to turn it into its own input error. Domain checks (levels on the right side,
fractions summing to 1) stay in the services.

fastavro does the type checks (unions, arrays, maps, nested records with their defaults); what
is written here is the part it has no API for: field lookup with defaults, one field at a time,
and messages that name the field.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final, NoReturn

from fastavro.schema import expand_schema
from fastavro.validation import validate

from hive.contracts.catalogue import load_catalogue

# Reason codes of RecordError.
NOT_A_RECORD: Final = "not_a_record"
MISSING_FIELD: Final = "missing_field"
WRONG_TYPE: Final = "wrong_type"
UNKNOWN_SYMBOL: Final = "unknown_symbol"
EMPTY_STRING: Final = "empty_string"
NOT_FINITE: Final = "not_finite"

_NO_DEFAULT: Final = object()


class RecordError(ValueError):
    """An input record, or one of its fields, is not what the topic's schema says."""

    def __init__(self, reason: str, topic: str, path: str, detail: str) -> None:
        self.reason = reason
        self.topic = topic
        self.path = path  # dotted field path; "" for the record itself
        self.detail = detail
        self.message = f"{topic}: {path} {detail}" if path else f"{topic}: {detail}"
        super().__init__(self.message)


class ContractMismatchError(TypeError):
    """Code asked a schema for a field it does not have, or for a type the field is not."""


ErrorMap = Callable[[RecordError], Exception]


def _raise(err: RecordError) -> Exception:
    return err


# ---------------------------------------------------------------- schema side


@dataclass(frozen=True)
class FieldSchema:
    name: str
    type: Any  # the field's expanded Avro type (named types inlined)
    default: Any = _NO_DEFAULT
    nested: RecordSchema | None = None  # the schema of a record-typed field

    @property
    def nullable(self) -> bool:
        return isinstance(self.type, list) and "null" in self.type

    @property
    def base(self) -> Any:
        """The type without its null branch (a union of null and one type is that type)."""
        if isinstance(self.type, list):
            rest = [t for t in self.type if t != "null"]
            return rest[0] if len(rest) == 1 else rest
        return self.type

    @property
    def kind(self) -> str:
        """The Avro type name of the base type: string, long, double, enum, array, record..."""
        base = self.base
        if isinstance(base, dict):
            return str(base["type"])
        return "union" if isinstance(base, list) else str(base)


@dataclass(frozen=True)
class RecordSchema:
    name: str
    fields: Mapping[str, FieldSchema]

    @classmethod
    def parse(cls, schema: Mapping[str, Any]) -> RecordSchema:
        fields = {}
        for f in schema["fields"]:
            spec = FieldSchema(f["name"], f["type"], f.get("default", _NO_DEFAULT))
            if spec.kind == "record":
                spec = FieldSchema(spec.name, spec.type, spec.default, cls.parse(spec.base))
            fields[spec.name] = spec
        return cls(str(schema["name"]), fields)

    def field(self, name: str) -> FieldSchema:
        try:
            return self.fields[name]
        except KeyError:
            raise ContractMismatchError(f"{self.name} has no field {name!r}") from None


@cache
def topic_schema(topic: str) -> RecordSchema:
    """The value schema of a catalogue topic, named types inlined."""
    expanded = expand_schema(json.loads(load_catalogue()[topic].schema_str()))
    if not isinstance(expanded, dict):
        raise ContractMismatchError(f"{topic}: the value schema is not a record")
    return RecordSchema.parse(expanded)


def _nested(schema: RecordSchema, path: str) -> FieldSchema:
    *parents, last = path.split(".")
    for name in parents:
        nested = schema.field(name).nested
        if nested is None:
            raise ContractMismatchError(f"{schema.name}.{name} is not a record")
        schema = nested
    return schema.field(last)


def enum_symbols(topic: str, path: str, *, known: bool = False) -> tuple[str, ...]:
    """The symbols of an enum field (`signal.direction`: dotted through nested records);
    `known=True` leaves out the enum's default (UNKNOWN)."""
    f = _nested(topic_schema(topic), path)
    if f.kind != "enum":
        raise ContractMismatchError(f"{topic}: {path} is a {f.kind}, not an enum")
    symbols = tuple(str(s) for s in f.base["symbols"])
    fallback = f.base.get("default")
    return tuple(s for s in symbols if s != fallback) if known else symbols


_WORDS: Final = {
    "string": "a string",
    "int": "an integer",
    "long": "an integer",
    "double": "a number",
    "float": "a number",
    "boolean": "true or false",
    "record": "a record",
}


def _describe(t: Any) -> str:
    """The type in words, for messages."""
    if isinstance(t, list):
        branches = [_describe(b) for b in t if b != "null"]
        return " or ".join(branches) + (" or null" if "null" in t else "")
    if not isinstance(t, dict):
        return _WORDS.get(str(t), str(t))
    kind = str(t["type"])
    if str(t.get("logicalType", "")).startswith("timestamp-"):
        kind = "epoch ms"
    words = {
        "epoch ms": "an integer (epoch ms)",
        "array": f"a list of {_plural(t.get('items'))}",
        "map": f"a map of {_plural(t.get('values'))}",
        "enum": "one of " + ", ".join(t.get("symbols", ())),
    }
    return words.get(kind) or _describe(kind)


def _plural(t: Any) -> str:
    word = _describe(t)
    for article in ("a ", "an "):
        if word.startswith(article):
            return word[len(article) :] + "s"
    return word


# ---------------------------------------------------------------- record side


class RecordReader:
    """One record (or a nested record of it) read against its schema; see the module doc."""

    def __init__(
        self,
        topic: str,
        schema: RecordSchema,
        record: Mapping[str, Any],
        errors: ErrorMap = _raise,
        prefix: str = "",
    ) -> None:
        self.topic = topic
        self.schema = schema
        self.record = record
        self._errors = errors
        self._prefix = prefix

    def path(self, name: str) -> str:
        return f"{self._prefix}{name}"

    def fail(self, reason: str, name: str, detail: str) -> NoReturn:
        raise self._errors(RecordError(reason, self.topic, self.path(name), detail))

    def _value(self, name: str, kinds: tuple[str, ...], nullable: bool) -> tuple[FieldSchema, Any]:
        """The field's value (or its default), checked against the schema; None only when the
        schema allows null and `nullable` asked for it."""
        f = self.schema.field(name)
        if f.kind not in kinds or (f.nullable and not nullable):
            wanted = "/".join(kinds) + (" or null" if nullable else "")
            raise ContractMismatchError(
                f"{self.topic}: {self.path(name)} is {_describe(f.type)}, read as {wanted}"
            )
        if name in self.record:
            value = self.record[name]
        elif f.default is not _NO_DEFAULT:
            value = copy.deepcopy(f.default)
        else:
            self.fail(MISSING_FIELD, name, "is missing")
        if f.kind == "enum" and value is not None:
            if not isinstance(value, str) or value not in f.base["symbols"]:
                symbols = ", ".join(f.base["symbols"])
                self.fail(UNKNOWN_SYMBOL, name, f"must be one of {symbols}, got {value!r}")
        elif not validate(value, f.type, raise_errors=False):
            self.fail(WRONG_TYPE, name, f"must be {_describe(f.type)}")
        return f, value

    def _finite(self, name: str, value: float, finite: bool) -> float:
        if finite and not math.isfinite(value):
            self.fail(NOT_FINITE, name, "must be a finite number")
        return value

    # ---- scalars

    def string(self, name: str) -> str:
        return str(self._value(name, ("string",), False)[1])

    def nonempty(self, name: str) -> str:
        """A string that must not be empty (ids, symbols, names)."""
        value = self.string(name)
        if not value:
            self.fail(EMPTY_STRING, name, "must be a non-empty string")
        return value

    def opt_string(self, name: str) -> str | None:
        value = self._value(name, ("string",), True)[1]
        return None if value is None else str(value)

    def integer(self, name: str) -> int:
        return int(self._value(name, ("int", "long"), False)[1])

    def opt_integer(self, name: str) -> int | None:
        value = self._value(name, ("int", "long"), True)[1]
        return None if value is None else int(value)

    def number(self, name: str, *, finite: bool = True) -> float:
        value = float(self._value(name, ("double", "float"), False)[1])
        return self._finite(name, value, finite)

    def opt_number(self, name: str, *, finite: bool = True) -> float | None:
        value = self._value(name, ("double", "float"), True)[1]
        return None if value is None else self._finite(name, float(value), finite)

    def flag(self, name: str) -> bool:
        return bool(self._value(name, ("boolean",), False)[1])

    def symbol(self, name: str, *, known: bool = False) -> str:
        """An enum symbol; `known=True` refuses the enum's default (UNKNOWN) too."""
        f, value = self._value(name, ("enum",), False)
        if known and value == f.base.get("default"):
            allowed = [s for s in f.base["symbols"] if s != value]
            self.fail(UNKNOWN_SYMBOL, name, f"must be one of {', '.join(allowed)}, got {value!r}")
        return str(value)

    # ---- collections

    def _collection(self, name: str, kind: str, items: tuple[str, ...]) -> Any:
        f = self.schema.field(name)
        inner = f.base.get("items" if kind == "array" else "values") if f.kind == kind else None
        if inner not in items:
            raise ContractMismatchError(
                f"{self.topic}: {self.path(name)} is {_describe(f.type)}, read as {kind} of "
                + "/".join(items)
            )
        return self._value(name, (kind,), False)[1]

    def numbers(self, name: str, *, finite: bool = True) -> tuple[float, ...]:
        values = self._collection(name, "array", ("double", "float"))
        return tuple(self._finite(name, float(x), finite) for x in values)

    def strings(self, name: str) -> tuple[str, ...]:
        return tuple(str(x) for x in self._collection(name, "array", ("string",)))

    def string_map(self, name: str) -> dict[str, str]:
        return {str(k): str(v) for k, v in self._collection(name, "map", ("string",)).items()}

    def number_map(self, name: str) -> dict[str, float]:
        values = self._collection(name, "map", ("double", "float"))
        return {str(k): float(v) for k, v in values.items()}

    def record_of(self, name: str) -> RecordReader:
        """A nested record, read lazily like this one (its fields are checked when read)."""
        f = self.schema.field(name)
        if f.nested is None or f.nullable:
            raise ContractMismatchError(f"{self.topic}: {self.path(name)} is not a record")
        if name not in self.record:
            self.fail(MISSING_FIELD, name, "is missing")
        value = self.record[name]
        if not isinstance(value, Mapping):
            self.fail(WRONG_TYPE, name, "must be a record")
        return RecordReader(self.topic, f.nested, value, self._errors, f"{self.path(name)}.")

    def opt_record_of(self, name: str) -> RecordReader | None:
        """A nullable nested record: None when null or absent, else read like `record_of`."""
        f = self.schema.field(name)
        if f.nested is None or not f.nullable:
            raise ContractMismatchError(
                f"{self.topic}: {self.path(name)} is not an optional record"
            )
        value = self.record.get(name)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.fail(WRONG_TYPE, name, "must be a record or null")
        return RecordReader(self.topic, f.nested, value, self._errors, f"{self.path(name)}.")


def read(topic: str, record: object, errors: ErrorMap = _raise) -> RecordReader:
    """Open a decoded `topic` record for typed reads; `errors` maps each RecordError onto the
    caller's own exception (the default raises the RecordError itself)."""
    if not isinstance(record, Mapping):
        raise errors(RecordError(NOT_A_RECORD, topic, "", "a record (mapping) expected"))
    return RecordReader(topic, topic_schema(topic), record, errors)
