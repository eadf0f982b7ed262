"""The learner's released model, loaded for the gate (`RiskGate.load_model`)."""

from __future__ import annotations

from pathlib import Path

from hive_risk_gate.control import ModelRelease, Predict


class ReleaseLoader:
    """Reads a release's artifact without torch and checks it against its SHA-256.

    `store`: HIVE_MODEL_STORE, where the artifact is looked for when the release's file URI is
    not valid here (a container that mounts the learner's store elsewhere)."""

    def __init__(self, store: Path | None = None) -> None:
        self.store = store

    def __call__(self, release: ModelRelease) -> Predict:
        # Imported on the first release, not when the gate starts.
        from hive.winprob import load_release

        return load_release(release.artifact_uri, release.sha256, store=self.store).predict
