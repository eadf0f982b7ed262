"""A service's input topics: each once (Kafka refuses a subscription listing one twice, without
saying which), checked before anything connects; and every service's lists hold each once."""

from __future__ import annotations

import importlib

import pytest

from hive.config import ServiceSettings
from hive.runtime.service import build_loop
from hive.topics import CONTROL_PARAMETERS, SIGNALS_SCORED

pytestmark = pytest.mark.unit

SERVICES = [
    "hive_enricher.service",
    "hive_executor.service",
    "hive_governor.service",
    "hive_learner.service",
    "hive_regime.service",
    "hive_risk_gate.service",
    "hive_signal_parser.service",
]


def test_an_input_listed_twice_is_refused_with_its_name() -> None:
    inputs = [CONTROL_PARAMETERS, SIGNALS_SCORED, CONTROL_PARAMETERS]
    with pytest.raises(ValueError, match=r"^input topics listed twice: control\.parameters\.v1$"):
        build_loop(ServiceSettings(service_name="t"), inputs, [], lambda rec: [])


@pytest.mark.parametrize("module", SERVICES)
def test_every_service_lists_each_topic_once(module: str) -> None:
    service = importlib.import_module(module)
    for name in ("INPUTS", "OUTPUTS", "TABLES"):
        topics = list(getattr(service, name, []))
        assert len(topics) == len(set(topics)), f"{module}.{name}: {topics}"
