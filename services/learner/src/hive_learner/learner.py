"""The learner: closed trades in, model releases out. Plain Python, no Kafka.

Each usable trade joins the training set; when the trigger says a run is due, a candidate is
trained, stored, judged against the current model and announced (CANDIDATE, then PROMOTED or
REJECTED). Version numbers count the runs, so the n-th run is version n.

Restarts: the service first loads the published lineage (learner.models), then replays the
trades it had consumed. A run whose version already has a verdict in the lineage is adopted,
not retrained: what was published stays what is in use. While replaying (`restoring`), a run
that is not in the lineage is left due instead of trained, because a replay's outputs are
discarded: the first live trade trains and publishes it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hive.winprob import FloatArray, ReleaseError, WinProbModel, dump_artifact, prior_model
from hive_learner.dataset import (
    TradeExample,
    TrainingSet,
    example_from_trade,
    example_weights,
    labels,
    raw_matrix,
)
from hive_learner.promotion import (
    ChangeGuard,
    DailyChangeGuard,
    PromotionRules,
    judge,
)
from hive_learner.releases import (
    CANDIDATE,
    PROMOTED,
    REJECTED,
    Lineage,
    ReleaseInfo,
    format_version,
)
from hive_learner.store import ModelStore
from hive_learner.train import TrainConfig, split_holdout, train_model
from hive_learner.trigger import RetrainTrigger, TriggerRules

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LearnerConfig:
    model_name: str = "win-prob"
    train: TrainConfig = field(default_factory=TrainConfig)
    promotion: PromotionRules = field(default_factory=PromotionRules)
    trigger: TriggerRules = field(default_factory=TriggerRules)
    capacity: int = 200_000
    r_clip: float = 10.0
    # Learn only from trades of these signal sources; empty = all (one family per channel group).
    sources: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.trigger.min_trades <= self.train.min_holdout:
            raise ValueError(
                f"min_trades ({self.trigger.min_trades}) must exceed min_holdout "
                f"({self.train.min_holdout}): the first run needs trades to train on"
            )

    def hyperparameters(self) -> dict[str, str]:
        return {**self.train.hyperparameters(), **self.promotion.to_dict()}


@dataclass
class LearnerStats:
    trades: int = 0
    duplicates: int = 0
    uninformative: int = 0
    other_sources: int = 0
    runs: int = 0
    adopted: int = 0
    promoted: int = 0
    rejected: int = 0


class Learner:
    def __init__(
        self,
        config: LearnerConfig,
        store: ModelStore,
        guard: ChangeGuard | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.guard: ChangeGuard = guard or DailyChangeGuard()
        self.dataset = TrainingSet(config.capacity)
        self.trigger = RetrainTrigger(config.trigger)
        self.lineage = Lineage(config.model_name)
        self.baseline = prior_model(config.train.prior, config.model_name, "prior")
        self.runs = 0
        self.restoring = False
        self.stats = LearnerStats()
        self._models: dict[str, WinProbModel] = {}

    # -- inputs --------------------------------------------------------------------------

    def on_release(self, record: Mapping[str, Any]) -> None:
        """A learner.models record (ours, echoed back, or loaded at start-up)."""
        self.lineage.apply(record)
        observe = getattr(self.guard, "observe", None)
        if observe is not None:
            observe(record)

    def on_trade(self, record: Mapping[str, Any]) -> list[dict[str, Any]]:
        """A trades.closed record; returns the release records it caused (usually none).
        Raises dataset.TradeInputError for a record that cannot be read."""
        sources = self.config.sources
        if sources and (record.get("features") or {}).get("source") not in sources:
            self.stats.other_sources += 1
            return []
        example = example_from_trade(record, self.config.r_clip)
        if example is None:
            if self.dataset.mark_seen(str(record.get("trade_id") or record.get("event_id"))):
                self.stats.uninformative += 1
            return []
        if not self.dataset.add(example):
            self.stats.duplicates += 1
            return []
        self.stats.trades += 1
        self.trigger.read(example.exit_time, example.trade_id)
        records: list[dict[str, Any]] = []
        while (upto := self.trigger.next_due()) is not None:
            run = self._run(upto)
            if run is None:
                break  # restoring: left due for the first live trade
            records += run
        return records

    def go_live(self) -> None:
        """The replay of consumed trades is over: runs from now on are trained and published."""
        self.restoring = False

    # -- runs ----------------------------------------------------------------------------

    def _run(self, upto: tuple[int, str]) -> list[dict[str, Any]] | None:
        """The run due at trade `upto`: its records; None while restoring (left due)."""
        version = format_version(self.runs + 1)
        if self.lineage.judged(version):
            # Published before a restart: adopt it as it was decided.
            self.runs += 1
            self.stats.adopted += 1
            self.trigger.ran()
            return []
        if self.restoring:
            return None
        self.runs += 1
        self.trigger.ran()
        return self.train_and_judge(version, upto)

    def current_model(self) -> WinProbModel | None:
        """The model in use (PROMOTED, greatest ts_event), loaded from the store."""
        rec = self.lineage.current()
        if rec is None:
            return None
        version = str(rec["version"])
        model = self._models.get(version)
        if model is None or model.sha256 != rec["sha256"]:
            try:
                model = self.store.load(str(rec["artifact_uri"]), str(rec["sha256"]))
            except ReleaseError as exc:
                log.warning("current model %s cannot be loaded: %s", version, exc)
                return None
            self._models[version] = model
        return model

    def train_and_judge(
        self, version: str, upto: tuple[int, str] | None = None
    ) -> list[dict[str, Any]]:
        """Train on the trades up to `upto` (exit time, trade id; None: all), judge, release."""
        cfg = self.config
        examples = self.dataset.examples() if upto is None else self.dataset.examples_upto(upto)
        split = split_holdout(examples, cfg.train)
        if not split.train or len(split.holdout) < cfg.train.min_holdout:
            return []
        trained = train_model(split.train, cfg.train, cfg.model_name, version)
        parent_rec = self.lineage.current()
        parent_version = str(parent_rec["version"]) if parent_rec else None
        parent = self.current_model()
        has_parent = parent is not None
        if parent_rec is not None and parent is None:
            log.warning(
                "judging %s against the prior: the parent's weights are unavailable", version
            )

        doc = trained.model.to_document(
            parent_version=parent_version,
            training_window=[trained.window_start, trained.window_end],
            trade_count=trained.train_count,
        )
        data = dump_artifact(doc)
        uri, sha = self.store.write(cfg.model_name, version, data)
        candidate = dataclasses.replace(trained.model, sha256=sha)

        holdout = split.holdout
        categories, numeric = [e.categories for e in holdout], raw_matrix(holdout)
        y = labels(holdout)
        w = example_weights(holdout, None, None, cfg.train.shadow_weight)
        baseline = parent or self.baseline
        x = candidate.spec.encode_raw(categories, numeric)
        x_parent = baseline.spec.encode_raw(categories, numeric)
        p_candidate = candidate.predict_matrix(x)
        p_parent = baseline.predict_matrix(x_parent)
        verdict = judge(
            p_candidate,
            p_parent,
            y,
            w,
            cfg.promotion,
            has_parent=has_parent,
            extra_metrics={
                **_r_errors(
                    candidate.expected_r_matrix(x), baseline.expected_r_matrix(x_parent), holdout, w
                ),
                "effective_trades": trained.effective_trades,
            },
        )
        ts = int(self.trigger.clock_ms or trained.window_end)
        info = ReleaseInfo(
            model_name=cfg.model_name,
            version=version,
            parent_version=parent_version,
            sha256=sha,
            artifact_uri=uri,
            ts_event=ts,
            window_start=trained.window_start,
            window_end=trained.window_end,
            trade_count=trained.train_count,
            holdout_count=len(holdout),
            hyperparameters=cfg.hyperparameters(),
        )
        status, reason, change_id = REJECTED, verdict.reason, None
        if verdict.promote:
            approval = self.guard.approve(cfg.model_name, version, parent_version, ts)
            if approval.approved:
                status, change_id = PROMOTED, approval.change_id
            else:
                reason = f"rejected by the change guard: {approval.reason}; {verdict.reason}"
        records = [
            info.record(CANDIDATE, verdict.metrics),
            info.record(status, verdict.metrics, reason, change_id),
        ]
        for rec in records:
            self.lineage.apply(rec)
        if status == PROMOTED:
            self._models[version] = candidate
            self.stats.promoted += 1
        else:
            self.stats.rejected += 1
        self.stats.runs += 1
        log.info("%s %s: %s", version, status, reason)
        return records


def _r_errors(
    candidate: FloatArray, parent: FloatArray, holdout: list[TradeExample], w: FloatArray
) -> dict[str, float]:
    """Weighted mean absolute error of expected R on the holdout trades that have an R."""
    mask = np.fromiter((e.r_multiple is not None for e in holdout), dtype=bool)
    if not mask.any() or float(w[mask].sum()) <= 0:
        return {}
    r = np.fromiter((e.r_multiple or 0.0 for e in holdout), dtype=np.float64)[mask]
    wm = w[mask] / float(w[mask].sum())
    return {
        "r_mae": float((wm * np.abs(candidate[mask] - r)).sum()),
        "parent_r_mae": float((wm * np.abs(parent[mask] - r)).sum()),
    }
