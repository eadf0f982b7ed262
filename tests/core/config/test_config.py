import pytest
from pydantic import Field

from hive.config import ServiceSettings, load_settings

pytestmark = pytest.mark.unit


class _Svc(ServiceSettings):
    service_name: str = "demo"
    demo_threshold: int = Field(5, ge=1)


def test_defaults_are_loopback_and_read_from_env(monkeypatch):
    monkeypatch.setenv("HIVE_DEMO_THRESHOLD", "7")
    s = load_settings(_Svc)
    assert s.demo_threshold == 7
    assert s.http_host == "127.0.0.1"
    assert s.kafka_bootstrap.startswith("127.0.0.1:")
    assert s.consumer_group == "hive.demo"


def test_bad_value_exits_with_message_naming_the_variable(monkeypatch, capsys):
    monkeypatch.setenv("HIVE_DEMO_THRESHOLD", "0")
    monkeypatch.setenv("HIVE_BATCH_MAX", "lots")
    with pytest.raises(SystemExit) as exc:
        load_settings(_Svc)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "HIVE_DEMO_THRESHOLD" in err and "got '0'" in err
    assert "HIVE_BATCH_MAX" in err


def test_missing_required_variable_is_named(monkeypatch, capsys):
    monkeypatch.delenv("HIVE_SERVICE_NAME", raising=False)
    with pytest.raises(SystemExit):
        load_settings(ServiceSettings)
    assert "HIVE_SERVICE_NAME: Field required" in capsys.readouterr().err


def test_service_name_must_be_a_slug(monkeypatch, capsys):
    monkeypatch.setenv("HIVE_SERVICE_NAME", "Risk Gate")
    with pytest.raises(SystemExit):
        load_settings(ServiceSettings)
    assert "HIVE_SERVICE_NAME" in capsys.readouterr().err
