"""The request bodies of the bot routes, derived from the bot contract (`hive.bots.Bot`).

A body has one field per key of the bots file, with the contract's type and default, so a field
added to the contract appears in the API (and its OpenAPI schema) without an edit here. The API
replaces a field only where it differs on purpose (`API_FIELDS`): limits on sizes (a request is
untrusted input), LIVE refused (real money is never switched on by a request), the file's
lower-case enum values, and a default rule set. The route then validates the body through the
contract itself, whose messages the 422 answer lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.fields import FieldInfo

from hive.bots import BOT_FILE_KEYS, ID_PATTERN, Bot, SourceWeight
from hive.constitution import MAX_RISK_PER_POSITION_PCT

# Keys the caller does not send in the body: the path (or NewBotIn) names the bot and the hub
# numbers the versions.
NOT_IN_BODY = ("bot_id", "config_version")


def _contract_default(model: type[BaseModel], name: str) -> Any:
    return model.model_fields[name].default


# A source entry: its length and weight limits.
SOURCE_API_FIELDS: dict[str, tuple[Any, Any]] = {
    "source": (str, Field(min_length=1, max_length=128)),
    "weight": (float, Field(_contract_default(SourceWeight, "weight"), gt=0, le=1000)),
}


def _body_fields(
    model: type[BaseModel], keys: tuple[str, ...], replaced: dict[str, tuple[Any, Any]]
) -> dict[str, Any]:
    """`model`'s fields by their file key (alias), in its order, with `replaced` taking over."""
    by_key = {(f.alias or name): f for name, f in model.model_fields.items()}
    fields: dict[str, Any] = {}
    for key in keys:
        if key in replaced:
            fields[key] = replaced[key]
        else:
            fields[key] = _as_in_contract(by_key[key])
    return fields


def _as_in_contract(field: FieldInfo) -> tuple[Any, Any]:
    """A contract field's type, constraints and default (its alias and validators stay behind)."""
    annotation: Any = field.annotation
    if field.metadata:
        annotation = Annotated[(annotation, *field.metadata)]
    if field.default_factory is not None:
        return annotation, Field(default_factory=field.default_factory)
    return annotation, Field(field.default)  # PydanticUndefined: required


if TYPE_CHECKING:
    SourceIn = BaseModel
else:
    SourceIn = create_model(
        "SourceIn",
        __config__=ConfigDict(extra="forbid"),
        **_body_fields(SourceWeight, tuple(SourceWeight.model_fields), SOURCE_API_FIELDS),
    )

# Where the API differs from the contract on purpose (see the module doc).
API_FIELDS: dict[str, tuple[Any, Any]] = {
    "cell": (str, Field(min_length=1, max_length=128)),
    "display_name": (str | None, Field(None, max_length=300)),
    "account_size": (float, Field(gt=0, le=1e12)),
    "rule_set": (str, Field("ftmo_2step")),
    "sources": (list[SourceIn], Field(min_length=1, max_length=100)),
    "strategy_card": (str, Field(min_length=1, max_length=128)),
    "strategy_parameters": (dict[str, Any], Field(default_factory=dict)),  # numbers, lists too
    "risk_per_trade": (float, Field(gt=0, le=MAX_RISK_PER_POSITION_PCT)),  # percent, as the file
    "mode": (Literal["paper"], Field("paper")),
    "venue": (str, Field(_contract_default(Bot, "venue"), min_length=1, max_length=64)),
    "allowed_symbols": (list[str], Field(default_factory=list, max_length=500)),
    "status": (Literal["active", "paused", "locked"], Field("active")),
    "status_reason": (str | None, Field(None, max_length=1000)),
}

if TYPE_CHECKING:
    _BotFields = BaseModel
else:
    _BotFields = create_model(
        "_BotFields",
        __config__=ConfigDict(extra="forbid"),
        **_body_fields(Bot, tuple(k for k in BOT_FILE_KEYS if k not in NOT_IN_BODY), API_FIELDS),
    )


class BotIn(_BotFields):
    """A bot as in the bots file (bots.example.yaml): risk_per_trade in percent (1 = 1 %).
    LIVE mode is not accepted through the API: real money is never switched on by a request."""


class NewBotIn(BotIn):
    bot_id: str = Field(pattern=ID_PATTERN, max_length=128)


class UpdateBotIn(BotIn):
    expected_version: int | None = Field(
        None, ge=1, description="Refuse (409) unless this is the bot's current config_version."
    )
