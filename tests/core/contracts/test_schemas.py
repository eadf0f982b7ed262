"""The data contracts in schemas/: catalogue, Avro schemas, examples, released versions.

Everything here runs without servers. Registration on the real registry and the registry's own
compatibility check are the contract tier's job (test_registry_contracts.py, beside this file);
here a released schema's data is generated and read with the current schema, which catches the
common incompatible changes.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import random
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import fastavro
import pytest
import yaml
from fastavro.utils import generate_many
from fastavro.validation import validate

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = ROOT / "schemas"
AVRO = SCHEMAS / "avro"
EXAMPLES = SCHEMAS / "examples"
RELEASED = SCHEMAS / "released"

CATALOGUE: dict[str, Any] = yaml.safe_load((SCHEMAS / "topics.yaml").read_text())
TOPICS: dict[str, dict[str, Any]] = CATALOGUE["topics"]
STEMS = sorted(p.stem for p in AVRO.glob("*.avsc"))

FLOW = [
    "signals.raw",
    "signals.parsed",
    "signals.updates",
    "signals.enriched",
    "market.bars",
    "market.regimes",
    "signals.scored",
    "registry.bots",
    "orders.decisions",
    "orders.intents",
    "orders.executions",
    "trades.closed",
    "accounts.snapshots",
    "executor.state",
    "learner.models",
    "control.breakers",
    "control.parameters",
    "control.commands",
    "hive.heartbeats",
    "audit.events",
]
ENTRY_KEYS = {
    "value_schema",
    "record",
    "key",
    "partitions",
    "cleanup_policy",
    "retention_ms",
    "dlq",
    "description",
}
TS_MILLIS = {"type": "long", "logicalType": "timestamp-millis"}
NAMED = ("record", "enum", "fixed")
PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
PARSED_REQUIRED = {
    "signal_id": "string",
    "timestamp": TS_MILLIS,
    "symbol": "string",
    "direction": "enum",
    "entry": ["null", "double"],
    "stop_loss": ["null", "double"],
    "take_profit": ["null", "double"],
    "confidence": "double",
    "source": "string",
}
AUDIT_HASHED = (
    "chain_id",
    "sequence",
    "event_id",
    "ts_event",
    "ts_init",
    "actor",
    "role",
    "action",
    "scope_level",
    "scope_id",
    "details",
    "cause_event_id",
    "prev_hash",
)


# ------------------------------------------------------------------------------------------ helpers
def load_schema(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def full_name(schema: dict[str, Any]) -> str:
    name: str = schema["name"]
    return name if "." in name else f"{schema.get('namespace', '')}.{name}".lstrip(".")


def named_definitions(schema: Any, namespace: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every inline definition of a named type in a schema, with its full name."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(schema, list):
        for branch in schema:
            found += named_definitions(branch, namespace)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in NAMED:
            ns = schema.get("namespace", namespace)
            name = schema["name"]
            fname = name if "." in name else f"{ns}.{name}"
            found.append((fname, schema))
            if kind == "record":
                inner_ns = fname.rsplit(".", 1)[0]
                for fld in schema["fields"]:
                    found += named_definitions(fld["type"], inner_ns)
        elif kind == "array":
            found += named_definitions(schema["items"], namespace)
        elif kind == "map":
            found += named_definitions(schema["values"], namespace)
        elif isinstance(kind, dict | list):
            found += named_definitions(kind, namespace)
    return found


def inline_references(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as written (docs kept) with every by-name reference replaced by its definition."""
    defs: dict[str, Any] = {}

    def walk(node: Any, namespace: str) -> Any:
        if isinstance(node, str):
            if node in PRIMITIVES:
                return node
            fname = node if "." in node else f"{namespace}.{node}"
            return copy.deepcopy(defs[fname])
        if isinstance(node, list):
            return [walk(n, namespace) for n in node]
        kind = node.get("type")
        if kind in NAMED:
            ns = node.get("namespace", namespace)
            fname = node["name"] if "." in node["name"] else f"{ns}.{node['name']}"
            out = dict(node)
            if kind == "record":
                inner_ns = fname.rsplit(".", 1)[0]
                defs[fname] = out  # filled in below; recursive types are not used
                out["fields"] = [dict(f, type=walk(f["type"], inner_ns)) for f in node["fields"]]
            defs[fname] = out
            return out
        if kind == "array":
            return dict(node, items=walk(node["items"], namespace))
        if kind == "map":
            return dict(node, values=walk(node["values"], namespace))
        if isinstance(kind, dict | list):
            return dict(node, type=walk(kind, namespace))
        return node

    result = walk(copy.deepcopy(schema), "")
    assert isinstance(result, dict)
    return result


def all_fields(expanded: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(record.field, field) for every field of every record in an expanded schema."""
    out: list[tuple[str, dict[str, Any]]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            kind = node.get("type")
            if kind == "record":
                for fld in node["fields"]:
                    out.append((f"{node['name']}.{fld['name']}", fld))
                    walk(fld["type"])
            elif kind == "array":
                walk(node["items"])
            elif kind == "map":
                walk(node["values"])
            elif isinstance(kind, dict | list):
                walk(kind)

    walk(expanded)
    return out


def expand(schema: dict[str, Any]) -> dict[str, Any]:
    parsed = fastavro.parse_schema(copy.deepcopy(schema), expand=True)
    assert isinstance(parsed, dict)
    return parsed


def to_millis(value: Any) -> Any:
    """Normalise what fastavro reads back: timestamp-millis comes back as an aware datetime."""
    if isinstance(value, datetime):
        assert value.tzinfo is not None, "timestamp-millis must read back timezone-aware"
        return round(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: to_millis(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_millis(v) for v in value]
    return value


def roundtrip(
    writer: dict[str, Any], record: dict[str, Any], reader: dict[str, Any] | None = None
) -> Any:
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(copy.deepcopy(writer)), record)
    buf.seek(0)
    reader_parsed = None if reader is None else fastavro.parse_schema(copy.deepcopy(reader))
    out = fastavro.schemaless_reader(
        buf, fastavro.parse_schema(copy.deepcopy(writer)), reader_parsed
    )
    assert buf.read() == b"", "reader left bytes unread"
    return out


def can_read_data_of(reader: dict[str, Any], writer: dict[str, Any], samples: int = 40) -> None:
    """Raise if data written with `writer` cannot be read with `reader` (BACKWARD: reader = new)."""
    random.seed(20170614)
    for datum in generate_many(copy.deepcopy(writer), samples):
        roundtrip(writer, datum, reader)


def key_paths(expr: str) -> list[str]:
    """Field paths in a catalogue key expression such as "scope_level + ':' + scope_id"."""
    parts = [p.strip() for p in expr.split("+")]
    assert all(parts), f"empty term in key {expr!r}"
    paths = [p for p in parts if not (p.startswith("'") and p.endswith("'"))]
    for p in paths:
        assert re.fullmatch(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*", p), (
            f"bad term {p!r} in {expr!r}"
        )
    return paths


def field_type(expanded: dict[str, Any], path: str) -> Any:
    node: Any = expanded
    for part in path.split("."):
        assert isinstance(node, dict) and node.get("type") == "record", (
            f"{path}: {part} not in a record"
        )
        matches = [f for f in node["fields"] if f["name"] == part]
        assert matches, f"{path}: no field {part!r} in {node['name']}"
        node = matches[0]["type"]
    return node


def latest_released(topic: str) -> Path:
    versions = sorted(int(p.stem) for p in (RELEASED / topic).glob("*.avsc"))
    assert versions, f"no released version of {topic}"
    assert versions == list(range(1, len(versions) + 1)), f"{topic}: versions not 1..N: {versions}"
    return RELEASED / topic / f"{versions[-1]}.avsc"


def example(stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{stem}.json").read_text())
    return data


def check_envelope(schema: dict[str, Any]) -> None:
    fields = schema["fields"]
    names = [f["name"] for f in fields[:3]]
    assert names == ["event_id", "ts_event", "ts_init"], f"envelope must come first, got {names}"
    assert fields[0]["type"] == "string"
    assert fields[1]["type"] == TS_MILLIS
    assert fields[2]["type"] == TS_MILLIS


def check_conventions(schema: dict[str, Any]) -> list[str]:
    """Problems with the evolution and documentation conventions (empty list = fine)."""
    problems: list[str] = []
    for fname, definition in named_definitions(schema):
        if not fname.startswith("io.tradinghive."):
            problems.append(f"{fname}: namespace must be io.tradinghive.<area>")
        if not definition.get("doc"):
            problems.append(f"{fname}: no doc")
        if definition["type"] == "enum":
            symbols = definition["symbols"]
            if definition.get("default") not in symbols:
                problems.append(f"{fname}: enum without a default symbol")
            elif symbols[0] != "UNKNOWN" or definition["default"] != "UNKNOWN":
                problems.append(f"{fname}: UNKNOWN must be the first symbol and the default")
            if len(set(symbols)) != len(symbols):
                problems.append(f"{fname}: duplicate symbols")
    for where, fld in all_fields(expand(schema)):
        ftype = fld["type"]
        if not fld.get("doc"):
            problems.append(f"{where}: no doc")
        optional = isinstance(ftype, list) and "null" in ftype
        if optional and (ftype[0] != "null" or "default" not in fld or fld["default"] is not None):
            problems.append(f"{where}: optional fields are ['null', T] with default null")
        if (
            isinstance(ftype, dict)
            and ftype.get("type") in ("array", "map")
            and "default" not in fld
        ):
            problems.append(f"{where}: arrays and maps need a default")
        if "default" in fld:
            branch = ftype[0] if isinstance(ftype, list) else ftype
            try:
                validate(fld["default"], branch, raise_errors=True)
            except Exception as exc:  # any validation failure is the finding
                problems.append(f"{where}: default {fld['default']!r} invalid: {exc}")
    return problems


# ------------------------------------------------------------------------------------------ catalogue
def test_catalogue_lists_every_topic_of_the_flow_once() -> None:
    assert CATALOGUE["defaults"]["replication_factor"] >= 1
    assert sorted(TOPICS) == sorted(f"{t}.v1" for t in FLOW)
    files = [e["value_schema"] for e in TOPICS.values()]
    assert len(set(files)) == len(files), "two topics share a schema file"
    assert sorted(Path(f).stem for f in files) == STEMS, "every .avsc belongs to exactly one topic"


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_catalogue_entry(topic: str) -> None:
    entry = TOPICS[topic]
    assert set(entry) == ENTRY_KEYS
    assert re.fullmatch(r"[a-z]+(\.[a-z]+)+\.v[1-9][0-9]*", topic), "topic names end with .v<N>"
    assert entry["dlq"] == f"{topic}.dlq"
    assert entry["partitions"] in (1, 3)
    assert entry["cleanup_policy"] in ("delete", "compact")
    assert isinstance(entry["retention_ms"], int)
    assert entry["retention_ms"] == -1 or entry["retention_ms"] >= 3_600_000
    if entry["cleanup_policy"] == "compact":
        assert entry["retention_ms"] == -1, "compacted topics keep their latest records forever"
    assert isinstance(entry["description"], str) and len(entry["description"]) > 40


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_catalogue_points_to_the_schema_and_record(topic: str) -> None:
    entry = TOPICS[topic]
    path = AVRO / entry["value_schema"]
    assert path.is_file(), f"{path} missing"
    schema = load_schema(path)
    fastavro.parse_schema(copy.deepcopy(schema))
    assert full_name(schema) == entry["record"]


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_key_is_made_of_required_scalar_fields(topic: str) -> None:
    entry = TOPICS[topic]
    expanded = expand(load_schema(AVRO / entry["value_schema"]))
    paths = key_paths(entry["key"])
    assert paths, "a key names at least one field"
    for path in paths:
        ftype = field_type(expanded, path)
        ok = ftype in ("string", "int", "long") or (
            isinstance(ftype, dict) and ftype.get("type") == "enum"
        )
        assert ok, f"key term {path} must be a non-null string, int, long or enum, is {ftype}"


def test_known_partitioning_choices() -> None:
    """The orderings services rely on (see schemas/README.md, keys)."""
    assert TOPICS["signals.raw.v1"]["key"] == "source"
    for t in ("signals.parsed.v1", "signals.updates.v1", "market.bars.v1", "market.regimes.v1"):
        assert TOPICS[t]["key"] == "symbol"
    for t in ("signals.enriched.v1", "signals.scored.v1"):
        assert TOPICS[t]["key"] == "signal.symbol"
    co_partitioned = [
        "signals.parsed.v1",
        "signals.updates.v1",
        "signals.enriched.v1",
        "signals.scored.v1",
    ]
    assert {TOPICS[t]["partitions"] for t in [*co_partitioned, "market.bars.v1"]} == {3}
    for t in (
        "orders.decisions.v1",
        "orders.intents.v1",
        "orders.executions.v1",
        "trades.closed.v1",
    ):
        assert TOPICS[t]["key"] == "bot_id"
    compacted = sorted(t for t, e in TOPICS.items() if e["cleanup_policy"] == "compact")
    assert compacted == [
        "control.breakers.v1",
        "control.parameters.v1",
        "executor.state.v1",
        "learner.models.v1",
        "registry.bots.v1",
    ]
    assert TOPICS["audit.events.v1"]["partitions"] == 1
    assert TOPICS["control.commands.v1"]["partitions"] == 1


# ------------------------------------------------------------------------------------------ schemas
@pytest.mark.parametrize("stem", STEMS)
def test_schema_parses_with_envelope_first(stem: str) -> None:
    schema = load_schema(AVRO / f"{stem}.avsc")
    fastavro.parse_schema(copy.deepcopy(schema))
    assert schema["type"] == "record"
    assert full_name(schema).startswith("io.tradinghive.")
    check_envelope(schema)


@pytest.mark.parametrize("stem", STEMS)
def test_schema_follows_the_conventions(stem: str) -> None:
    assert check_conventions(load_schema(AVRO / f"{stem}.avsc")) == []


def test_shared_named_types_are_identical_in_every_file() -> None:
    """Schemas are self-contained, so shared types are copied; the copies must not drift."""
    seen: dict[str, tuple[str, dict[str, Any]]] = {}
    for stem in STEMS:
        for fname, definition in named_definitions(
            inline_references(load_schema(AVRO / f"{stem}.avsc"))
        ):
            if fname in seen:
                first_stem, first = seen[fname]
                assert definition == first, f"{fname} differs between {first_stem} and {stem}"
            else:
                seen[fname] = (stem, definition)
    assert "io.tradinghive.common.Direction" in seen


def test_parsed_signal_keeps_the_nine_original_fields() -> None:
    schema = load_schema(AVRO / "signals_parsed.avsc")
    expanded = expand(schema)
    for name, expected in PARSED_REQUIRED.items():
        ftype = field_type(expanded, name)
        if expected == "enum":
            assert isinstance(ftype, dict) and ftype["type"] == "enum"
            assert {"BUY", "SELL"} <= set(ftype["symbols"])
        else:
            assert ftype == expected, f"{name}: {ftype} != {expected}"
    names = [f["name"] for f in schema["fields"]]
    for extension in (
        "revision",
        "message_id",
        "order_type",
        "entry_low",
        "entry_high",
        "take_profits",
        "expires_at",
        "raw_text",
        "reply_to",
    ):
        assert extension in names


def test_parsed_signal_reads_records_of_the_nine_field_form() -> None:
    """The extensions are compatible: a record with only envelope + nine fields reads with defaults."""
    schema = load_schema(AVRO / "signals_parsed.avsc")
    keep = {"event_id", "ts_event", "ts_init", *PARSED_REQUIRED}
    legacy = copy.deepcopy(schema)
    legacy["fields"] = [f for f in legacy["fields"] if f["name"] in keep]
    record = {k: v for k, v in example("signals_parsed").items() if k in keep}
    out = to_millis(roundtrip(legacy, record, schema))
    assert {k: out[k] for k in keep} == record
    assert out["revision"] == 0
    assert out["take_profits"] == []
    assert out["order_type"] == "MARKET"


# ------------------------------------------------------------------------------------------ examples
def test_every_schema_has_an_example_and_no_example_is_orphaned() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.json")) == STEMS


def _assert_complete(schema: dict[str, Any], record: dict[str, Any], where: str) -> None:
    names = [f["name"] for f in schema["fields"]]
    assert sorted(record) == sorted(names), (
        f"{where}: example fields {sorted(set(record) ^ set(names))} differ"
    )
    for fld in schema["fields"]:
        ftype = fld["type"]
        branches = ftype if isinstance(ftype, list) else [ftype]
        for branch in branches:
            if (
                isinstance(branch, dict)
                and branch.get("type") == "record"
                and isinstance(record[fld["name"]], dict)
            ):
                _assert_complete(branch, record[fld["name"]], f"{where}.{fld['name']}")


@pytest.mark.parametrize("stem", STEMS)
def test_example_validates_and_round_trips(stem: str) -> None:
    schema = load_schema(AVRO / f"{stem}.avsc")
    record = example(stem)
    _assert_complete(expand(schema), record, stem)
    assert validate(record, fastavro.parse_schema(copy.deepcopy(schema)), raise_errors=True)
    assert to_millis(roundtrip(schema, record)) == record
    for ts in ("ts_event", "ts_init"):
        assert 1_000_000_000_000 < record[ts] < 4_102_444_800_000, f"{ts} must be epoch millis"


def test_example_validation_can_fail() -> None:
    schema = fastavro.parse_schema(load_schema(AVRO / "signals_parsed.avsc"))
    bad = dict(example("signals_parsed"), direction="HOLD")
    with pytest.raises(fastavro.validation.ValidationError):
        validate(bad, schema, raise_errors=True)
    missing = {k: v for k, v in example("signals_parsed").items() if k != "symbol"}
    with pytest.raises(fastavro.validation.ValidationError):
        validate(missing, schema, raise_errors=True)


def test_examples_follow_the_id_conventions() -> None:
    parsed = example("signals_parsed")
    assert (
        parsed["signal_id"] == f"{parsed['source']}:{parsed['message_id']}:{parsed['signal_index']}"
    )
    assert parsed["event_id"] == f"{parsed['signal_id']}:r{parsed['revision']}"
    assert parsed["take_profit"] == parsed["take_profits"][0]
    assert parsed["entry_low"] <= parsed["entry"] <= parsed["entry_high"]
    raw = example("signals_raw")
    assert raw["event_id"] == f"{raw['source']}:{raw['message_id']}:r{raw['revision']}"
    upd = example("signals_updates")
    assert (
        upd["event_id"]
        == f"{upd['source']}:{upd['message_id']}:r{upd['revision']}:u{upd['update_index']}"
    )
    intent = example("orders_intents")
    digest = hashlib.sha256(f"{intent['signal_id']}|{intent['bot_id']}".encode()).hexdigest()
    assert intent["order_id"] == "o-" + digest[:24]
    assert intent["event_id"] == f"{intent['order_id']}:r{intent['signal_revision']}"
    assert abs(sum(intent["tp_fractions"]) - 1.0) < 1e-9
    assert len(intent["tp_fractions"]) == len(intent["take_profits"])
    execution = example("orders_executions")
    assert execution["event_id"] == f"{execution['order_id']}:{execution['sequence']}"
    trade = example("trades_closed")
    assert trade["event_id"] == trade["trade_id"] and trade["trade_id"].startswith(
        trade["order_id"] + ":"
    )
    assert trade["features"] == intent["features"], (
        "the trade carries the intent's features unchanged"
    )
    assert abs(trade["pnl"] - (trade["gross_pnl"] - trade["commission"] + trade["swap"])) < 0.005
    assert abs(sum(leg["quantity"] for leg in trade["legs"]) - trade["quantity"]) < 1e-9
    assert trade["holding_time_ms"] == trade["exit_time"] - trade["entry_time"]
    bar = example("market_bars")
    assert bar["event_id"] == f"{bar['symbol']}:{bar['timeframe']}:{bar['open_time']}"
    assert bar["ts_event"] == bar["open_time"] + 3_600_000, (
        "ts_event of an H1 bar is its close time"
    )
    assert (
        bar["low"]
        <= min(bar["open"], bar["close"])
        <= max(bar["open"], bar["close"])
        <= bar["high"]
    )
    bot = example("registry_bots")
    assert bot["event_id"] == f"{bot['bot_id']}:{bot['config_version']}"
    snap = example("accounts_snapshots")
    assert snap["event_id"] == f"{snap['bot_id']}:{snap['sequence']}"
    assert snap["drawdown"] == pytest.approx(max(0.0, snap["peak_equity"] - snap["equity"]))
    assert snap["daily_loss"] == pytest.approx(max(0.0, snap["day_start_balance"] - snap["equity"]))
    brk = example("control_breakers")
    assert brk["event_id"] == f"{brk['scope_level']}:{brk['scope_id']}:{brk['transition_seq']}"
    cmd = example("control_commands")
    assert cmd["event_id"] == cmd["command_id"]
    model = example("learner_models")
    assert model["event_id"] == f"{model['model_name']}:{model['version']}:{model['status']}"
    assert re.fullmatch(r"[0-9a-f]{64}", model["sha256"])
    for stem in ("signals_enriched", "signals_scored"):
        rec = example(stem)
        assert rec["event_id"] == rec["signal"]["event_id"] == parsed["event_id"]
        assert rec["signal"] == parsed


def audit_hash(event: dict[str, Any]) -> str:
    """hash_version 1 as documented in audit_events.avsc."""
    covered = {k: event[k] for k in AUDIT_HASHED}
    text = json.dumps(covered, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_audit_hash_is_what_the_schema_documents() -> None:
    schema = load_schema(AVRO / "audit_events.avsc")
    for name in AUDIT_HASHED:
        assert name in schema["doc"], f"audit record doc must list {name} as hashed"
    event = example("audit_events")
    assert event["hash_version"] == 1
    assert re.fullmatch(r"[0-9a-f]{64}", event["prev_hash"])
    assert event["hash"] == audit_hash(event)
    assert event["event_id"] == f"{event['chain_id']}:{event['sequence']}"
    tampered = dict(event, details=event["details"].replace("5", "4"))
    assert audit_hash(tampered) != event["hash"]


# ------------------------------------------------------------------------------------------ releases
@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_released_schema_exists_and_current_is_backward_compatible(topic: str) -> None:
    released_path = latest_released(topic)
    released = load_schema(released_path)
    fastavro.parse_schema(copy.deepcopy(released))
    current = load_schema(AVRO / TOPICS[topic]["value_schema"])
    assert full_name(released) == full_name(current) == TOPICS[topic]["record"]
    check_envelope(released)
    can_read_data_of(reader=current, writer=released)


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_version_one_is_released_unchanged(topic: str) -> None:
    """For now (nothing evolved yet) the released 1.avsc is a byte copy of the current schema."""
    if len(list((RELEASED / topic).glob("*.avsc"))) > 1:
        pytest.skip("evolved since v1; compatibility is checked above")
    current = AVRO / TOPICS[topic]["value_schema"]
    assert (RELEASED / topic / "1.avsc").read_bytes() == current.read_bytes()


def test_compatibility_check_catches_an_incompatible_change() -> None:
    released = load_schema(AVRO / "orders_intents.avsc")
    added_without_default = copy.deepcopy(released)
    added_without_default["fields"].append(
        {"name": "broker_account", "type": "string", "doc": "new"}
    )
    with pytest.raises(fastavro.read.SchemaResolutionError):
        can_read_data_of(reader=added_without_default, writer=released)

    retyped = copy.deepcopy(released)
    for fld in retyped["fields"]:
        if fld["name"] == "quantity":
            fld["type"] = "string"
    with pytest.raises(fastavro.read.SchemaResolutionError):
        can_read_data_of(reader=retyped, writer=released)

    compatible = copy.deepcopy(released)
    compatible["fields"].append(
        {"name": "broker_account", "type": ["null", "string"], "default": None, "doc": "new"}
    )
    can_read_data_of(reader=compatible, writer=released)


def test_convention_checks_can_fail() -> None:
    schema = load_schema(AVRO / "hive_heartbeats.avsc")
    broken = copy.deepcopy(schema)
    broken["fields"][0], broken["fields"][1] = broken["fields"][1], broken["fields"][0]
    with pytest.raises(AssertionError):
        check_envelope(broken)
    broken = copy.deepcopy(schema)
    for fld in broken["fields"]:
        if fld["name"] == "details":
            del fld["default"]
        if fld["name"] == "consumer_lag":
            fld["type"] = ["long", "null"]
        if fld["name"] == "status":
            del fld["type"]["default"]
    problems = check_conventions(broken)
    assert any("details" in p and "default" in p for p in problems)
    assert any("consumer_lag" in p for p in problems)
    assert any("ServiceStatus" in p and "default symbol" in p for p in problems)


def test_key_check_can_fail() -> None:
    expanded = expand(load_schema(AVRO / "signals_parsed.avsc"))
    with pytest.raises(AssertionError):
        field_type(expanded, "symbol_code")
    assert field_type(expanded, "entry") == ["null", "double"]  # nullable: rejected as a key term
    with pytest.raises(AssertionError):
        key_paths("source + ")


def test_primitive_names_are_avro() -> None:
    """Guard against typos such as 'str' or 'float64' hiding in nested types."""
    for stem in STEMS:
        for where, fld in all_fields(expand(load_schema(AVRO / f"{stem}.avsc"))):
            branches = fld["type"] if isinstance(fld["type"], list) else [fld["type"]]
            for b in branches:
                if isinstance(b, str):
                    assert b in PRIMITIVES, f"{stem} {where}: {b}"
