"""Every rule set the policies define can be named in a bots file (the swing profile was refused)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hive.constitution import RULE_SETS

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]


def test_the_gate_accepts_every_profile_of_the_policies():
    profiles = json.loads((ROOT / "policies/hive/profiles/data.json").read_text())
    names = set(profiles.get("profiles", profiles))
    assert names <= set(RULE_SETS), f"profiles the bots file refuses: {names - set(RULE_SETS)}"
    assert "ftmo_2step_swing" in RULE_SETS
