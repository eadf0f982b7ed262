"""`hive.topics` is generated from the catalogue; it must say what `schemas/topics.yaml` says."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_topics", ROOT / "scripts" / "gen_topics.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hive_topics_is_up_to_date_with_the_catalogue() -> None:
    gen = _generator()
    expected = gen.render(yaml.safe_load(gen.CATALOGUE.read_text(encoding="utf-8")))
    assert gen.MODULE.read_text(encoding="utf-8") == expected, (
        "libs/hive/src/hive/topics.py is out of date: run `uv run --frozen python "
        "scripts/gen_topics.py`"
    )


def test_every_topic_and_dead_letter_of_the_catalogue_has_its_constant() -> None:
    import hive.topics

    names = {v for k, v in vars(hive.topics).items() if k.isupper() and isinstance(v, str)}
    catalogue = yaml.safe_load((ROOT / "schemas" / "topics.yaml").read_text(encoding="utf-8"))
    for topic, entry in catalogue["topics"].items():
        assert topic in names
        assert entry["dlq"] in names


def test_two_versions_of_one_topic_are_refused_rather_than_named_alike() -> None:
    gen = _generator()
    with pytest.raises(SystemExit, match="would both be SIGNALS_RAW"):
        gen.render({"topics": {"signals.raw.v1": {}, "signals.raw.v2": {}}})
