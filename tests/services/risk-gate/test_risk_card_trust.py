"""Card plugins are trusted code: the gate refuses, at start and with one line naming the path,
a card directory or file that the service's own user, its group or others could change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hive_risk_gate.cards import CardLoader
from hive_risk_gate.settings import RiskGateSettings

pytestmark = pytest.mark.unit

TOKEN = "a-token-for-opa-of-forty-three-characters00"
PLUGIN = """
from hive_risk_gate.cards.base import BaseCard, follow_intent

CARD_NAME = "always"


class Always(BaseCard):
    CARD_NAME = "always"

    def on_signal(self, signal, context):
        return follow_intent(signal, 0.9, "PRIOR")
"""


def cards(tmp_path: Path, dir_mode: int = 0o555, file_mode: int = 0o444) -> Path:
    """A card directory holding one plugin, with these modes."""
    d = tmp_path / "cards"
    d.mkdir()
    plugin = d / "always.py"
    plugin.write_text(PLUGIN, encoding="utf-8")
    plugin.chmod(file_mode)
    d.chmod(dir_mode)
    return d


def refusal(card_dir: Path) -> str:
    with pytest.raises(SystemExit) as stop:
        RiskGateSettings(opa_token=TOKEN, risk_card_dir=card_dir).trusted_card_dir()
    text = str(stop.value)
    assert "\n" not in text
    assert text.endswith(
        "card plugins are trusted code, install them read-only for the service "
        "(owned by another user, no group or other write)"
    )
    return text


def test_a_read_only_card_dir_is_trusted_and_its_cards_load(tmp_path: Path) -> None:
    d = cards(tmp_path)
    assert RiskGateSettings(opa_token=TOKEN, risk_card_dir=d).trusted_card_dir() == d
    assert "always" in CardLoader(d).names()
    assert RiskGateSettings(opa_token=TOKEN).trusted_card_dir() is None  # built-in cards only


def test_a_card_dir_the_service_can_write_is_refused(tmp_path: Path) -> None:
    # Made by this process: owned by the service's own user, with the owner's write bit.
    d = cards(tmp_path, dir_mode=0o755, file_mode=0o444)
    assert refusal(d).startswith(
        f"HIVE_RISK_CARD_DIR: {d} is writable by the service's own user (uid {os.geteuid()}, "
        "mode 0755): "
    )


def test_a_card_file_the_service_can_write_is_refused(tmp_path: Path) -> None:
    d = cards(tmp_path, dir_mode=0o555, file_mode=0o644)
    assert refusal(d).startswith(
        f"HIVE_RISK_CARD_DIR: {d / 'always.py'} is writable by the service's own user "
    )


@pytest.mark.parametrize(
    ("dir_mode", "file_mode", "named", "mode"),
    [
        (0o575, 0o444, "", "0575"),
        (0o557, 0o444, "", "0557"),
        (0o555, 0o464, "always.py", "0464"),
        (0o555, 0o446, "always.py", "0446"),
    ],
)
def test_group_or_other_write_is_refused(
    tmp_path: Path, dir_mode: int, file_mode: int, named: str, mode: str
) -> None:
    d = cards(tmp_path, dir_mode=dir_mode, file_mode=file_mode)
    path = d / named if named else d
    assert refusal(d).startswith(
        f"HIVE_RISK_CARD_DIR: {path} is writable by group or others (mode {mode}): "
    )


def test_a_writable_bytecode_cache_in_the_card_dir_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "cards"
    (d / "__pycache__").mkdir(parents=True)
    (d / "always.py").write_text(PLUGIN, encoding="utf-8")
    (d / "always.py").chmod(0o444)
    d.chmod(0o555)
    assert refusal(d).startswith(f"HIVE_RISK_CARD_DIR: {d / '__pycache__'} is writable by ")


def test_a_missing_card_dir_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "nowhere"
    with pytest.raises(SystemExit) as stop:
        RiskGateSettings(opa_token=TOKEN, risk_card_dir=d).trusted_card_dir()
    assert str(stop.value).startswith(f"HIVE_RISK_CARD_DIR: {d} cannot be checked (")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give files to another user")
def test_cards_owned_by_another_user_without_group_or_other_write_are_trusted(
    tmp_path: Path,
) -> None:
    d = cards(tmp_path, dir_mode=0o755, file_mode=0o644)
    for path in (d, d / "always.py"):
        os.chown(path, 65534, 65534)  # nobody
    assert RiskGateSettings(opa_token=TOKEN, risk_card_dir=d).trusted_card_dir() == d


def test_the_gate_stops_at_start_on_a_card_dir_it_could_write(tmp_path: Path) -> None:
    d = cards(tmp_path, dir_mode=0o777, file_mode=0o444)
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env |= {
        "HIVE_OPA_TOKEN": TOKEN,
        "HIVE_RISK_CARD_DIR": str(d),
        # Nothing listens there: the gate must stop before it connects to anything.
        "HIVE_KAFKA_BOOTSTRAP": "127.0.0.1:9",
        "HIVE_OPA_URL": "http://127.0.0.1:9",
    }
    done = subprocess.run(
        [sys.executable, "-m", "hive_risk_gate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"HIVE_RISK_CARD_DIR: {d} is writable by group or others (mode 0777): card plugins are "
        "trusted code, install them read-only for the service (owned by another user, no group "
        "or other write)"
    ]
