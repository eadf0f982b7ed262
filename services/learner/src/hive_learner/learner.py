"""The learner: closed trades in, model releases and their proposals out. Plain Python, no Kafka.

Each usable trade joins the training set; when the trigger says a run is due, a candidate is
trained, stored, judged against the model in use and announced (CANDIDATE). One that fails the
promotion metrics is REJECTED at once; one that passes is proposed to the governor's change
guard (proposals.py) and settled by its answer: PROMOTED when the guard puts the version in
force (control.parameters), REJECTED when it refuses (audit.events), ROLLED_BACK when a
promoted version's change is rolled back. The model in use (the parent of the next run) is the
version in force. Version numbers count the runs, so the n-th run is version n.

Restarts: the service first loads the published lineage (learner.models), then replays the
trades, parameters and audit events it had consumed. A run whose version already has a verdict
in the lineage, or was proposed (CANDIDATE) before the last commit, is adopted, not retrained:
what was published stays what is in use. While replaying (`restoring`), answers only restore
the version in force (what they settled was published before), and a run that is not in the
lineage is left due instead of trained, because a replay's outputs are discarded: the first
live trade trains and publishes it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hive.parameters import GLOBAL_SCOPE_ID, model_parameter, parameter_key
from hive.winprob import FloatArray, ReleaseError, WinProbModel, dump_artifact, prior_model
from hive_learner.dataset import (
    TradeExample,
    TrainingSet,
    example_from_trade,
    example_weights,
    labels,
    raw_matrix,
)
from hive_learner.outputs import Output
from hive_learner.promotion import PromotionRules, judge
from hive_learner.proposals import in_force, proposal, proposal_id, refusal
from hive_learner.releases import (
    CANDIDATE,
    PROMOTED,
    REJECTED,
    ROLLED_BACK,
    Lineage,
    ReleaseInfo,
    format_version,
    release_output,
    restamp,
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
    proposed: int = 0
    promoted: int = 0
    rejected: int = 0
    rolled_back: int = 0


class Learner:
    def __init__(self, config: LearnerConfig, store: ModelStore) -> None:
        self.config = config
        self.store = store
        self.dataset = TrainingSet(config.capacity)
        self.trigger = RetrainTrigger(config.trigger)
        self.lineage = Lineage(config.model_name)
        self.baseline = prior_model(config.train.prior, config.model_name, "prior")
        self.runs = 0
        # The version the governor's change guard has in force (control.parameters), if any.
        self.parameter = model_parameter(config.model_name)
        self.in_force: str | None = None
        self.restoring = False
        self.stats = LearnerStats()
        self._models: dict[str, WinProbModel] = {}

    # -- inputs --------------------------------------------------------------------------

    def on_release(self, record: Mapping[str, Any]) -> None:
        """A learner.models record (ours, echoed back, or loaded at start-up)."""
        self.lineage.apply(record)

    def on_parameter(
        self, record: Mapping[str, Any] | None, key: str | None = None
    ) -> list[Output]:
        """A control.parameters record: for the model's, the version in force, and the release
        records that settles (PROMOTED, ROLLED_BACK). A tombstone (None) of the model's `key`
        takes it out of force. Raises `RecordError` for an unreadable record."""
        if record is None:
            if key == parameter_key("GLOBAL", GLOBAL_SCOPE_ID, self.parameter):
                self.in_force = None
            return []
        answer = in_force(record, self.config.model_name)
        if answer is None:
            return []
        self.in_force = answer.version
        if self.restoring:
            return []
        out = []
        # A rollback withdraws the version that was in force (not a mere successor's parent).
        rolled = answer.rolled_back and answer.previous != answer.version
        withdrawn = self.lineage.get(answer.previous) if rolled else None
        if withdrawn is not None and withdrawn["status"] == PROMOTED:
            why = f"rolled back by {answer.actor} ({answer.event_id}): {answer.reason}"
            change = withdrawn.get("change_id")
            out.append(self._settle(withdrawn, ROLLED_BACK, answer.ts, why, change))
        rec = self.lineage.get(answer.version)
        if rec is not None and rec["status"] != PROMOTED:
            # The learner's own proposal keeps its metrics' reason; a version an operator put
            # (back) in force says who did.
            why = (
                str(rec["reason"])
                if rec["status"] == CANDIDATE and rec.get("reason")
                else f"put in force by {answer.actor} ({answer.change_id}): {answer.reason}"
            )
            out.append(self._settle(rec, PROMOTED, answer.ts, why, answer.change_id))
        return out

    def on_audit(self, record: Mapping[str, Any]) -> list[Output]:
        """An audit.events record: the governor's refusal of one of our proposals makes that
        release REJECTED with the guard's reason; everything else is not the learner's."""
        refused = refusal(record)
        if refused is None or self.restoring:
            return []
        prefix = proposal_id(self.config.model_name, "")
        if not refused.command_id.startswith(prefix):
            return []
        rec = self.lineage.get(refused.command_id.removeprefix(prefix))
        if rec is None or rec["status"] != CANDIDATE:
            return []
        why = f"rejected by the change guard: {refused.message}; {rec.get('reason')}"
        return [self._settle(rec, REJECTED, refused.ts, why)]

    def _settle(
        self,
        announced: Mapping[str, Any],
        status: str,
        ts: int,
        reason: str,
        change_id: str | None = None,
    ) -> Output:
        """The verdict on a proposed (or promoted) release, decided by the governor."""
        ts = max(ts, int(announced["ts_event"]))  # never older than what it settles
        rec = restamp(announced, status, ts=ts, reason=reason, change_id=change_id)
        self.lineage.apply(rec)
        if status == PROMOTED:
            self.stats.promoted += 1
        elif status == REJECTED:
            self.stats.rejected += 1
        else:
            self.stats.rolled_back += 1
        log.info("%s %s: %s", rec["version"], status, reason)
        return release_output(rec)

    def on_trade(self, record: Mapping[str, Any]) -> list[Output]:
        """A trades.closed record; returns what it caused (usually nothing; at a run, the
        release records and the proposal). Raises dataset.TradeInputError for a record that
        cannot be read."""
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
        outputs: list[Output] = []
        while (upto := self.trigger.next_due()) is not None:
            run = self._run(upto)
            if run is None:
                break  # restoring: left due for the first live trade
            outputs += run
        return outputs

    def go_live(self) -> None:
        """The replay of consumed trades is over: runs from now on are trained and published."""
        self.restoring = False

    # -- runs ----------------------------------------------------------------------------

    def _run(self, upto: tuple[int, str]) -> list[Output] | None:
        """The run due at trade `upto`: its outputs; None while restoring (left due)."""
        version = format_version(self.runs + 1)
        if self.lineage.judged(version) or (
            self.restoring and self.lineage.status(version) == CANDIDATE
        ):
            # Published before a restart: adopt it as it was decided (or proposed: the
            # governor's answer settles it).
            self.runs += 1
            self.stats.adopted += 1
            self.trigger.ran()
            return []
        if self.restoring:
            return None
        self.runs += 1
        self.trigger.ran()
        return self.train_and_judge(version, upto)

    def current_release(self) -> dict[str, Any] | None:
        """The release in use: the version the change guard has in force (None: the prior)."""
        return self.lineage.get(self.in_force)

    def current_model(self) -> WinProbModel | None:
        """The model in use, loaded from the store."""
        rec = self.current_release()
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

    def train_and_judge(self, version: str, upto: tuple[int, str] | None = None) -> list[Output]:
        """Train on the trades up to `upto` (exit time, trade id; None: all), judge, release."""
        cfg = self.config
        examples = self.dataset.examples() if upto is None else self.dataset.examples_upto(upto)
        split = split_holdout(examples, cfg.train)
        if not split.train or len(split.holdout) < cfg.train.min_holdout:
            return []
        trained = train_model(split.train, cfg.train, cfg.model_name, version)
        parent_rec = self.current_release()
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
        self.stats.runs += 1
        if not verdict.promote:
            self.stats.rejected += 1
            log.info("%s %s: %s", version, REJECTED, verdict.reason)
            records = [
                info.record(CANDIDATE, verdict.metrics),
                info.record(REJECTED, verdict.metrics, verdict.reason),
            ]
            for rec in records:
                self.lineage.apply(rec)
            return [release_output(r) for r in records]
        # Passed: proposed to the governor's change guard, which decides (on_parameter,
        # on_audit). The CANDIDATE record keeps the metrics' reason for the verdict.
        candidate_rec = info.record(CANDIDATE, verdict.metrics, verdict.reason)
        self.lineage.apply(candidate_rec)
        self._models[version] = candidate
        self.stats.proposed += 1
        log.info("%s proposed: %s", version, verdict.reason)
        return [release_output(candidate_rec), proposal(candidate_rec, verdict.reason)]


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
