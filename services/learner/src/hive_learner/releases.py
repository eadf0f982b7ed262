"""Release records for learner.models and the lineage they form.

A trained version is announced under one key (`model_name:version`): first as CANDIDATE, then
with its verdict: REJECTED at once when it fails the promotion metrics; otherwise, once the
governor's change guard has answered the learner's proposal, PROMOTED (in force, with the
change id) or REJECTED (refused, with the guard's reason); a PROMOTED version whose change is
rolled back becomes ROLLED_BACK. The topic is compacted, so each version's latest status
survives and the whole lineage stays: every version with its parent, hash, window and metrics.
Ids and times are derived from event time (the exit time of the last trade seen, or the
governor's answer's), so a replay publishes the same records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hive.topics import LEARNER_MODELS
from hive.winprob import INPUT_FEATURES
from hive_learner.outputs import Output

CANDIDATE = "CANDIDATE"
PROMOTED = "PROMOTED"
REJECTED = "REJECTED"
ROLLED_BACK = "ROLLED_BACK"
VERDICTS = frozenset({PROMOTED, REJECTED, ROLLED_BACK})


def format_version(number: int) -> str:
    return f"{number:04d}"


def release_key(model_name: str, version: str) -> str:
    return f"{model_name}:{version}"


def release_output(record: dict[str, Any]) -> Output:
    return Output(LEARNER_MODELS, release_key(record["model_name"], record["version"]), record)


def restamp(
    announced: Mapping[str, Any],
    status: str,
    *,
    ts: int,
    reason: str | None,
    change_id: str | None = None,
) -> dict[str, Any]:
    """A version's record with a new status (its other fields as announced), at event time `ts`
    (the governor's answer)."""
    return {
        **announced,
        "event_id": f"{announced['model_name']}:{announced['version']}:{status}",
        "ts_event": ts,
        "ts_init": ts,
        "status": status,
        "reason": reason,
        "change_id": change_id,
    }


@dataclass(frozen=True)
class ReleaseInfo:
    """What a version's records share; `record(status, ...)` stamps one of them."""

    model_name: str
    version: str
    parent_version: str | None
    sha256: str
    artifact_uri: str
    ts_event: int
    window_start: int
    window_end: int
    trade_count: int
    holdout_count: int
    hyperparameters: Mapping[str, str]

    def record(
        self,
        status: str,
        metrics: Mapping[str, float],
        reason: str | None = None,
        change_id: str | None = None,
    ) -> dict[str, Any]:
        return {
            "event_id": f"{self.model_name}:{self.version}:{status}",
            "ts_event": self.ts_event,
            "ts_init": self.ts_event,
            "model_name": self.model_name,
            "version": self.version,
            "parent_version": self.parent_version,
            "sha256": self.sha256,
            "status": status,
            "training_window_start": self.window_start,
            "training_window_end": self.window_end,
            "trade_count": self.trade_count,
            "holdout_count": self.holdout_count,
            "metrics": dict(metrics),
            "artifact_uri": self.artifact_uri,
            "features": list(INPUT_FEATURES),
            "hyperparameters": dict(self.hyperparameters),
            "reason": reason,
            "change_id": change_id,
        }


class Lineage:
    """The versions of one model family as published: the latest record per version."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name
        self._latest: dict[str, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self._latest)

    def apply(self, record: Mapping[str, Any]) -> bool:
        """Take a learner.models record; False if it belongs to another family."""
        if record.get("model_name") != self.model_name:
            return False
        version = str(record["version"])
        known = self._latest.get(version)
        if known is not None and (
            int(record["ts_event"]) < int(known["ts_event"])
            or (record.get("status") == CANDIDATE and known["status"] in VERDICTS)
        ):
            # The echo of our own earlier record (or a replay of it) arriving after a later
            # verdict must not put the version back where it was (undecided, or in force).
            return True
        self._latest[version] = dict(record)
        return True

    def get(self, version: str | None) -> dict[str, Any] | None:
        return self._latest.get(version) if version is not None else None

    def judged(self, version: str) -> bool:
        """The version has a verdict (not only a CANDIDATE record)."""
        rec = self._latest.get(version)
        return rec is not None and rec.get("status") in VERDICTS

    def status(self, version: str | None) -> str | None:
        rec = self.get(version)
        return None if rec is None else str(rec["status"])

    def records(self) -> list[dict[str, Any]]:
        return [self._latest[v] for v in sorted(self._latest)]
