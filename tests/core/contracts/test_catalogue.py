import json

import pytest

from hive.contracts.catalogue import CatalogueError, load_catalogue

pytestmark = pytest.mark.unit

SCHEMA = {
    "type": "record",
    "name": "Thing",
    "namespace": "io.tradinghive.test",
    "fields": [
        {"name": "event_id", "type": "string"},
        {"name": "ts_event", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "ts_init", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}


def _write(tmp_path, topics: str):
    (tmp_path / "avro").mkdir()
    (tmp_path / "avro" / "thing.avsc").write_text(json.dumps(SCHEMA))
    (tmp_path / "topics.yaml").write_text(topics)
    load_catalogue.cache_clear()
    return tmp_path


ENTRY = """
    value_schema: thing.avsc
    record: io.tradinghive.test.Thing
    key: id
    partitions: 3
    cleanup_policy: delete
    retention_ms: 1000
    dlq: things.v1.dlq
"""


def test_loads_a_valid_catalogue(tmp_path):
    cat = load_catalogue(_write(tmp_path, "topics:\n  things.v1:" + ENTRY))
    spec = cat["things.v1"]
    assert spec.subject == "things.v1-value"
    assert spec.partitions == 3 and spec.dlq == "things.v1.dlq"


def test_topic_without_major_version_is_refused(tmp_path):
    with pytest.raises(CatalogueError, match="major version"):
        load_catalogue(_write(tmp_path, "topics:\n  things:" + ENTRY))


def test_record_name_must_match_schema_file(tmp_path):
    bad = ENTRY.replace("io.tradinghive.test.Thing", "io.tradinghive.test.Other")
    with pytest.raises(CatalogueError, match=r"defines io\.tradinghive\.test\.Thing"):
        load_catalogue(_write(tmp_path, "topics:\n  things.v1:" + bad))


def test_missing_field_is_named(tmp_path):
    bad = ENTRY.replace("    partitions: 3\n", "")
    with pytest.raises(CatalogueError, match="'partitions'"):
        load_catalogue(_write(tmp_path, "topics:\n  things.v1:" + bad))


def test_unknown_topic_lookup_lists_known(tmp_path):
    cat = load_catalogue(_write(tmp_path, "topics:\n  things.v1:" + ENTRY))
    with pytest.raises(KeyError, match=r"things\.v1"):
        cat["nope.v1"]
