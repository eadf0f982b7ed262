"""hive.winprob: the torch-free reader of the learner's releases, as the risk gate uses it."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from hive.winprob import (
    ARTIFACT_FORMAT,
    NUMERIC_COLUMNS,
    EncodingSpec,
    LinearHead,
    Prior,
    ReleaseError,
    ReleaseIntegrityError,
    WinProbModel,
    dump_artifact,
    load_release,
    prior_model,
    sha256_hex,
)

pytestmark = pytest.mark.unit

FEATURES = {
    "source": "fx-vip",
    "symbol": "EURUSD",
    "direction": "BUY",
    "order_type": "MARKET",
    "signal_time": 1497427511000,
    "parser_confidence": 0.97,
    "regime": "TREND",
    "regime_probabilities": {"CALM": 0.21, "TREND": 0.71, "CHAOS": 0.08},
    "regime_model_version": "hmm-EURUSD-H1-0042",
    "sl_atr": 3.683,
    "sl_pips": 33.0,
    "rr": 0.97,
    "tp_count": 3,
    "atr14": 0.000896,
    "spread_pips": 0.8,
    "realised_vol": 0.0005465,
    "session": "LONDON",
    "hour_utc": 8,
    "day_of_week": 3,
    "stale": False,
    "implausible": False,
}


def _model(seed: int = 0) -> WinProbModel:
    spec = EncodingSpec(
        {"source": ["alpha", "fx-vip"], "regime": ["CALM", "CHAOS", "TREND"], "direction": ["BUY", "SELL"]},
        numeric_mean=[0.5, 0.3, 1.5, 0.3, 0.4, 0.3, 0.0, 0.0],
        numeric_std=[0.4, 0.4, 0.8, 0.2, 0.2, 0.2, 0.7, 0.7],
    )  # fmt: skip
    rng = np.random.default_rng(seed)

    def head(b: float) -> LinearHead:
        return LinearHead(b, np.round(rng.normal(0, 0.3, spec.width), 6))

    return WinProbModel(
        "win-prob", "0003", spec, head(0.1), head(1.2), head(-1.0), Prior(0.5, 1.0, -1.0, 20.0)
    )


def _release(tmp_path, model: WinProbModel) -> tuple[str, str]:
    data = dump_artifact(model.to_document(parent_version="0002"))
    path = tmp_path / "win-prob" / "0003.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    return path.as_uri(), sha256_hex(data)


def test_load_release_round_trips_and_predicts_the_same(tmp_path):
    model = _model()
    uri, sha = _release(tmp_path, model)
    loaded = load_release(uri, sha)
    assert loaded.sha256 == sha and loaded.version == "0003"
    p = loaded.predict(FEATURES)
    assert 0.0 < p < 1.0
    assert p == pytest.approx(model.predict(FEATURES), abs=1e-15)
    # The per-signal path and the matrix path agree.
    assert p == pytest.approx(float(loaded.predict_many([FEATURES])[0]), abs=1e-12)
    r = loaded.expected_r(FEATURES)
    assert r == pytest.approx(
        float(loaded.expected_r_matrix(loaded.spec.encode(FEATURES)[None])[0])
    )


def test_a_changed_artifact_is_refused(tmp_path):
    uri, sha = _release(tmp_path, _model())
    path = tmp_path / "win-prob" / "0003.json"
    doc = json.loads(path.read_bytes())
    doc["heads"]["win"]["intercept"] = 5.0
    path.write_bytes(dump_artifact(doc))
    with pytest.raises(ReleaseIntegrityError, match="SHA-256"):
        load_release(uri, sha)


def test_missing_file_unknown_scheme_and_other_format_are_clear_errors(tmp_path):
    with pytest.raises(ReleaseError, match="cannot read"):
        load_release((tmp_path / "nope.json").as_uri(), "0" * 64)
    with pytest.raises(ReleaseError, match="only file://"):
        load_release("db://models/win-prob/0001", "0" * 64)
    doc = _model().to_document()
    doc["format"] = "hive.winprob/99"
    data = dump_artifact(doc)
    path = tmp_path / "future.json"
    path.write_bytes(data)
    with pytest.raises(ReleaseError, match=r"hive\.winprob/99"):
        load_release(str(path), sha256_hex(data))


def test_the_store_fallback_finds_a_store_mounted_elsewhere(tmp_path):
    _, sha = _release(tmp_path, _model())
    elsewhere = "file:///var/lib/hive/models/win-prob/0003.json"
    assert load_release(elsewhere, sha, store=tmp_path).version == "0003"


def test_unseen_categories_and_missing_numbers_fall_back_without_error():
    model = _model()
    odd = {
        **FEATURES,
        "source": "never-seen",
        "regime": "SOMETHING",
        "sl_atr": None,
        "rr": float("nan"),
        "regime_probabilities": {},
    }
    x = model.spec.encode(odd)
    assert np.all(np.isfinite(x))
    base = model.spec.categorical_width
    assert x[base + NUMERIC_COLUMNS.index("log_sl_atr")] == 0.0  # the training mean
    assert list(x[-2:]) == [1.0, 1.0]  # both missing flags
    assert 0.0 < model.predict(odd) < 1.0
    assert math.isfinite(model.expected_r({}))  # even an empty dict gives a number


def test_the_prior_model_is_the_prior_for_every_signal():
    prior = Prior(0.42, 1.5, -1.0, 20.0)
    model = prior_model(prior)
    assert model.predict(FEATURES) == pytest.approx(0.42)
    assert model.expected_r(FEATURES) == pytest.approx(prior.expected_r)


def test_canonical_bytes_are_stable():
    a = dump_artifact(_model(1).to_document())
    b = dump_artifact(json.loads(a))
    assert a == b and sha256_hex(a) == sha256_hex(b)
    assert json.loads(a)["format"] == ARTIFACT_FORMAT


def test_reading_a_release_does_not_import_torch():
    code = "import sys, hive.winprob; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
