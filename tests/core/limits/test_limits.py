"""Account limits from the constitution and the rule sets the policies use."""

from __future__ import annotations

import pytest

from hive.limits import (
    RuleSet,
    RuleSetError,
    account_limits,
    breached,
    load_rule_sets,
    parse_rule_sets,
    rule_set_or_constitution,
)

pytestmark = pytest.mark.unit


def test_bundled_rule_sets_load_with_ftmo_numbers() -> None:
    sets = load_rule_sets()
    ftmo = sets["ftmo_2step"]
    assert (ftmo.daily_loss_pct, ftmo.daily_loss_basis, ftmo.max_loss_pct) == (
        5.0,
        "initial_balance",
        10.0,
    )
    assert not ftmo.weekend_holding
    assert sets["constitution"].daily_loss_pct is None


def test_constitution_binds_when_tighter_than_ftmo() -> None:
    # 3 % of a 100k day start (3,000) is tighter than FTMO's 5 % of the initial (5,000).
    lim = account_limits(
        load_rule_sets()["ftmo_2step"],
        initial_balance=100_000,
        day_start_balance=100_000,
        peak_equity=100_000,
    )
    assert lim.daily_loss_limit == pytest.approx(3_000)
    assert lim.daily_loss_rule == "constitution"
    # Max loss 90k and drawdown floor 90k are equal: the constitution's is kept.
    assert lim.equity_floor == pytest.approx(90_000)


def test_profile_binds_when_tighter_and_floor_follows_peak() -> None:
    strict = load_rule_sets()["strict"]
    lim = account_limits(
        strict, initial_balance=100_000, day_start_balance=104_000, peak_equity=110_000
    )
    assert lim.daily_loss_limit == pytest.approx(1_500)  # 1.5 % of the initial balance
    assert lim.daily_loss_rule == "profile"
    assert lim.equity_floor == pytest.approx(99_000)  # 10 % below the 110k peak > 96k
    assert lim.equity_floor_rule == "constitution.max_drawdown"


def test_day_start_basis() -> None:
    rs = RuleSet("x", daily_loss_pct=2, daily_loss_basis="day_start_balance", max_loss_pct=5)
    lim = account_limits(rs, initial_balance=100_000, day_start_balance=50_000, peak_equity=100_000)
    assert lim.daily_loss_limit == pytest.approx(1_000)
    assert lim.equity_floor == pytest.approx(95_000)
    assert lim.equity_floor_rule == "profile.max_loss"


def test_breached_names_the_harder_limit_first() -> None:
    lim = account_limits(
        RuleSet("constitution"), initial_balance=100, day_start_balance=100, peak_equity=100
    )
    assert breached(lim, equity=97.01, day_start_balance=100) is None
    assert breached(lim, equity=97.0, day_start_balance=100) == "daily_loss"
    assert breached(lim, equity=90.0, day_start_balance=100) == "max_loss"


def test_unknown_rule_set_gets_the_constitution() -> None:
    assert rule_set_or_constitution({}, "nope").daily_loss_pct is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "mapping of rule-set name"),
        ({"a": 1}, "a: a mapping expected"),
        ({"a": {"daily_loss_pct": 0}}, "daily_loss_pct: a percentage"),
        ({"a": {"max_loss_pct": "5"}}, "max_loss_pct: a percentage"),
        ({"a": {"daily_loss_basis": "equity"}}, "daily_loss_basis"),
    ],
)
def test_malformed_rule_sets_are_refused(data: object, message: str) -> None:
    with pytest.raises(RuleSetError, match=message):
        parse_rule_sets(data)


def test_missing_file_names_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuleSetError, match="cannot read rule sets"):
        load_rule_sets(tmp_path / "none.json")


def test_a_bots_rule_overrides_only_tighten() -> None:
    ftmo = load_rule_sets()["ftmo_2step"]
    kw = {"initial_balance": 100_000.0, "day_start_balance": 90_000.0, "peak_equity": 100_000.0}
    tight = account_limits(ftmo, **kw, overrides={"daily_loss_pct": "1", "max_loss_pct": "5"})
    assert (tight.daily_loss_limit, tight.daily_loss_rule) == (900.0, "override")
    assert (tight.equity_floor, tight.equity_floor_rule) == (95_000.0, "override.max_loss")
    # looser than the constitution or the rule set, or not a percentage: no effect
    loose = account_limits(ftmo, **kw, overrides={"daily_loss_pct": "4", "max_loss_pct": "abc"})
    assert (loose.daily_loss_limit, loose.equity_floor) == (2_700.0, 90_000.0)
    assert (loose.daily_loss_rule, loose.equity_floor_rule) == (
        "constitution",
        "constitution.max_drawdown",
    )
