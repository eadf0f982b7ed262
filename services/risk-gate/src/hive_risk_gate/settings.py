"""risk-gate settings from the environment (prefix HIVE_), and the gate's parts built from them."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from hive.config import ServiceSettings
from hive.liveness import GovernorWatch
from hive_risk_gate.cards.trust import UntrustedCardDirError, check_card_dir
from hive_risk_gate.opa import MODIFICATION_PACKAGE, OpaPolicy

# OPA's authorization policy (policies/system/authz) lets no shorter token through either.
MIN_OPA_TOKEN_LENGTH = 32


class RiskGateSettings(ServiceSettings):
    service_name: str = "risk-gate"
    opa_url: str = Field("http://127.0.0.1:18181", min_length=1)
    # The bearer token OPA accepts for the two decision queries (and for nothing else); required:
    # a locked-down OPA answers no query without it. `hive infra env` prints the local one.
    opa_token: SecretStr
    # Per query; a slower answer counts as no answer, and no answer is a denial.
    opa_timeout_s: float = Field(0.5, gt=0, le=10)
    # Extra strategy-card plugins (modules exposing CARD_NAME); the built-in cards always load.
    # Plugins are code the gate runs: the directory must be read-only for the service
    # (trusted_card_dir).
    risk_card_dir: Path | None = None
    risk_conflict_window_ms: int = Field(900_000, ge=0)
    # No governor heartbeat for this long (wall clock): every new position is denied.
    # 0 turns the watch off, only for running the gate without a governor (single-service tests).
    governor_timeout_s: float = Field(15.0, ge=0, le=3600)
    # The learner's model family whose PROMOTED release gives the calibrated confidence, and
    # where its artifacts are when the release's file URI is not valid here (a container).
    risk_model_name: str = Field("win-prob", pattern=r"^[a-z][a-z0-9-]*$")
    model_store: Path | None = None
    # Denied signals are simulated as shadow COUNTERFACTUAL orders for the learner (unbiased
    # training data); they never touch an account.
    risk_counterfactuals: bool = True

    @field_validator("opa_token")
    @classmethod
    def _strong_token(cls, v: SecretStr) -> SecretStr:
        token = v.get_secret_value()
        make = "make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        if token.upper().startswith("CHANGE-ME"):
            raise ValueError(f"is the example's placeholder; {make}")
        if len(token) < MIN_OPA_TOKEN_LENGTH:
            raise ValueError(f"must be at least {MIN_OPA_TOKEN_LENGTH} characters; {make}")
        return v

    def opa_policy(self) -> OpaPolicy:
        """The OPA client; a URL it cannot use stops the start with one line naming the variable."""
        try:
            return OpaPolicy(
                self.opa_url,
                timeout_s=self.opa_timeout_s,
                token=self.opa_token.get_secret_value(),
            )
        except ValueError as exc:
            raise SystemExit(f"HIVE_OPA_URL: {exc}") from None

    def opa_modification_policy(self) -> OpaPolicy:
        """The OPA client asking the modification rule set (same server, timeout and token)."""
        try:
            return OpaPolicy(
                self.opa_url,
                timeout_s=self.opa_timeout_s,
                package=MODIFICATION_PACKAGE,
                token=self.opa_token.get_secret_value(),
            )
        except ValueError as exc:
            raise SystemExit(f"HIVE_OPA_URL: {exc}") from None

    def trusted_card_dir(self) -> Path | None:
        """HIVE_RISK_CARD_DIR once neither the service nor anyone but its owner can change it
        or its files (card plugins are trusted code); otherwise the start stops with one line
        naming the path and why."""
        if self.risk_card_dir is None:
            return None
        try:
            check_card_dir(self.risk_card_dir)
        except UntrustedCardDirError as exc:
            raise SystemExit(f"HIVE_RISK_CARD_DIR: {exc}") from None
        return self.risk_card_dir

    def governor_watch(self) -> GovernorWatch:
        return GovernorWatch(int(self.governor_timeout_s * 1000))
