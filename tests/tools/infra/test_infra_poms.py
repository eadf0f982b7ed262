"""The Maven project files the local Kafka and schema registry are built from: data files
beside hive_tools.infra.components, rendered with the pinned versions (no server needed)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from hive_tools.infra import components
from hive_tools.infra.settings import (
    APICURIO_CONFIG_INDEX_VERSION,
    APICURIO_QUARKUS_VERSION,
    APICURIO_VERSION,
    EVERIT_JSON_SCHEMA_VERSION,
    KAFKA_SCALA,
    KAFKA_VERSION,
    LOG4J_VERSION,
)

pytestmark = pytest.mark.unit

NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def _versions(pom: str) -> dict[str, str]:
    root = ET.fromstring(pom)
    out = {}
    for dep in root.iterfind(".//m:dependency", NS):
        artifact = dep.findtext("m:artifactId", namespaces=NS)
        version = dep.findtext("m:version", namespaces=NS)
        if artifact and version:
            out[artifact] = version
    for plugin in root.iterfind(".//m:plugin", NS):
        artifact = plugin.findtext("m:artifactId", namespaces=NS)
        version = plugin.findtext("m:version", namespaces=NS)
        if artifact and version:
            out[artifact] = version
    return out


def test_the_kafka_pom_names_the_pinned_broker_and_logger() -> None:
    pom = components.Kafka._pom(None)
    assert "@{" not in pom
    assert ET.fromstring(pom).findtext("m:version", namespaces=NS) == KAFKA_VERSION
    assert _versions(pom) == {
        f"kafka_{KAFKA_SCALA}": KAFKA_VERSION,
        "log4j-slf4j-impl": LOG4J_VERSION,
    }


def test_the_registry_pom_names_the_pinned_apicurio_build() -> None:
    pom = components.Registry._pom(None)
    assert "@{" not in pom
    # Maven's own property syntax is left for Maven.
    assert "<outputDirectory>${project.build.outputDirectory}</outputDirectory>" in pom
    versions = _versions(pom)
    assert versions["apicurio-registry-app"] == APICURIO_VERSION
    assert versions["apicurio-registry"] == APICURIO_VERSION
    assert versions["apicurio-common-app-components-config-index"] == (
        APICURIO_CONFIG_INDEX_VERSION
    )
    assert versions["everit-json-schema"] == EVERIT_JSON_SCHEMA_VERSION
    assert versions["quarkus-maven-plugin"] == APICURIO_QUARKUS_VERSION
