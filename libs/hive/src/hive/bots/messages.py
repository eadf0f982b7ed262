"""How the bot contract words its problems: `BotConfigError` and pydantic's errors as one line each.

A problem reads ``<where>.<field path>: <what is wrong>``, e.g.
``bots.yaml: bots[2] (ftmo-2).risk_per_trade: must be at most 5 (...), got 7``. Users (the CLI,
the hub's 422 answers, dead-letter reasons) see these lines, so their wording is part of the
contract.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

# The error type of the contract's own validators: their message is used as it is.
CONTRACT_ERROR = "hive_config"


class BotConfigError(ValueError):
    """The bots configuration (a file or a record) is invalid; `problems` lists every message."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def invalid(message: str) -> PydanticCustomError:
    """The error a contract validator raises; `message` is the part after "field: "."""
    return PydanticCustomError(CONTRACT_ERROR, "{message}", {"message": message})


def show_value(value: Any) -> str:
    """A value as a message shows it: numbers plainly (7, 0.5), everything else repr()."""
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float):
        return f"{value:g}"
    return repr(value)


# pydantic's own checks (types, required keys), worded as the contract's are.
_TYPE_MESSAGES = {
    "missing": "is required",
    "string_type": "must be a string",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "dict_type": "must be a mapping",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "literal_error": "has an invalid value",
    "greater_than_equal": "is too small",
}


def _path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}"
    return out


def problems_of(
    prefix: str,
    exc: ValidationError,
    allowed_keys: Sequence[str],
    nested_keys: Sequence[str],
) -> list[str]:
    """One line per error of `exc`, each starting with `prefix` and the field path.

    An unknown key lists `allowed_keys` (top level) or `nested_keys` (inside a list item).
    """
    problems: list[str] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == CONTRACT_ERROR:
            text = str(err["ctx"]["message"]) if "ctx" in err else err["msg"]
            # A list validator reports the item as "[i] ...": attach it to the path.
            m = re.match(r"^(\[\d+\]) (.*)$", text, re.DOTALL)
            if m:
                loc, text = (*loc, int(m.group(1)[1:-1])), m.group(2)
        elif kind == "extra_forbidden":
            keys = allowed_keys if len(loc) == 1 else nested_keys
            text = f"unknown key (allowed: {', '.join(keys)})"
        else:
            base = _TYPE_MESSAGES.get(kind, err["msg"][:1].lower() + err["msg"][1:])
            text = base if kind == "missing" else f"{base}, got {show_value(err.get('input'))}"
        problems.append(f"{prefix}{_path(loc)}: {text}")
    return problems
