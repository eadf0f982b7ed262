"""The learner's released model, read and used without torch (numpy only).

The learner (services/learner, torch) trains; everything else that needs a confidence, the
risk gate first, loads the release with `load_release(artifact_uri, sha256)` and calls
`predict(features)` / `expected_r(features)` on the `features` dict of a signal (the
`SignalFeatures` record of orders.intents / trades.closed: source, symbol, direction,
order_type, regime, regime_probabilities, sl_atr, rr, session, hour_utc, day_of_week, ...).

The artifact is one canonical JSON document (`ARTIFACT_FORMAT`): the feature encoding spec
(category vocabularies, the numeric features' standardisation), three generalised linear heads
and the prior they were shrunk towards. Its SHA-256 is the release record's `sha256`.

The encoding lives here, not in the learner, so training and inference cannot drift apart:
the learner encodes its training matrix with this same `EncodingSpec.encode`.

    win probability  p   = sigmoid(win.intercept + x . win.coef)
    expected R           = p * r_win(x) + (1 - p) * r_loss(x)
                           (r_win / r_loss: linear heads, mean R of winning / losing trades)

Over 400 lines and kept whole: the encoding, the three heads and the artifact's format are one
contract between the learner and its readers; split up, training and inference could drift.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import numpy.typing as npt

ARTIFACT_FORMAT = "hive.winprob/1"

# Categorical inputs, one-hot over the training vocabulary; a value never seen in training
# encodes as all zeros, i.e. falls back to the intercept (the population, shrunk to the prior).
CATEGORICAL_FIELDS: tuple[str, ...] = (
    "source",
    "symbol",
    "direction",
    "order_type",
    "regime",
    "session",
    "day_of_week",
)
# Numeric inputs after their fixed transform, standardised with the training mean and std.
NUMERIC_COLUMNS: tuple[str, ...] = (
    "log_sl_atr",
    "log_rr",
    "rr",
    "p_calm",
    "p_trend",
    "p_chaos",
    "hour_sin",
    "hour_cos",
)
# 1 when the input is missing (no stop, no TP, no ATR); the numeric column then holds the mean.
MISSING_COLUMNS: tuple[str, ...] = ("sl_atr_missing", "rr_missing")
# The signal fields the model reads, as listed in a release's `features`.
INPUT_FEATURES: tuple[str, ...] = (
    "source",
    "symbol",
    "direction",
    "order_type",
    "regime",
    "regime_probabilities",
    "sl_atr",
    "rr",
    "session",
    "hour_utc",
    "day_of_week",
)

# Clips keep one absurd level (a stop 500 ATR away) from dominating a linear model.
SL_ATR_RANGE = (0.05, 50.0)
RR_RANGE = (0.05, 20.0)
RR_LINEAR_MAX = 10.0

FloatArray = npt.NDArray[np.float64]


class ReleaseError(ValueError):
    """A release cannot be used: the message says which file and why."""


class ReleaseIntegrityError(ReleaseError):
    """The artifact's bytes do not hash to the release's sha256."""


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def _category(features: Mapping[str, Any], name: str) -> str:
    value = features.get(name)
    if value is None:
        return ""
    return str(value)


def raw_numeric(features: Mapping[str, Any]) -> list[float]:
    """The numeric columns before standardisation, NaN where the input is missing."""
    nan = math.nan
    sl_atr = _number(features.get("sl_atr"))
    rr = _number(features.get("rr"))
    if sl_atr is not None and sl_atr <= 0:
        sl_atr = None
    if rr is not None and rr <= 0:
        rr = None
    probs = features.get("regime_probabilities") or {}
    if not isinstance(probs, Mapping):
        probs = {}
    hour = _number(features.get("hour_utc"))
    angle = nan if hour is None else 2.0 * math.pi * (hour % 24) / 24.0
    return [
        nan if sl_atr is None else math.log(min(max(sl_atr, SL_ATR_RANGE[0]), SL_ATR_RANGE[1])),
        nan if rr is None else math.log(min(max(rr, RR_RANGE[0]), RR_RANGE[1])),
        nan if rr is None else min(rr, RR_LINEAR_MAX),
        _number(probs.get("CALM")) or 0.0,
        _number(probs.get("TREND")) or 0.0,
        _number(probs.get("CHAOS")) or 0.0,
        math.sin(angle),
        math.cos(angle),
    ]


def raw_categories(features: Mapping[str, Any]) -> tuple[str, ...]:
    """The categorical inputs as strings, in CATEGORICAL_FIELDS order ('' when absent)."""
    return tuple(_category(features, name) for name in CATEGORICAL_FIELDS)


# Which numeric column's NaN sets each missing flag.
_MISSING_SOURCE = (NUMERIC_COLUMNS.index("log_sl_atr"), NUMERIC_COLUMNS.index("log_rr"))


@dataclass(frozen=True)
class EncodingSpec:
    """How a features dict becomes the model's input vector (fitted on the training data)."""

    vocabularies: Mapping[str, Sequence[str]]
    numeric_mean: Sequence[float]
    numeric_std: Sequence[float]
    _index: tuple[dict[str, int], ...] = field(init=False, repr=False, compare=False)
    _mean: FloatArray = field(init=False, repr=False, compare=False)
    _std: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = set(self.vocabularies) - set(CATEGORICAL_FIELDS)
        if unknown:
            raise ReleaseError(f"unknown categorical field(s) {sorted(unknown)}")
        if len(self.numeric_mean) != len(NUMERIC_COLUMNS) or len(self.numeric_std) != len(
            NUMERIC_COLUMNS
        ):
            raise ReleaseError(f"numeric standardisation needs {len(NUMERIC_COLUMNS)} values")
        index = []
        offset = 0
        for name in CATEGORICAL_FIELDS:
            vocab = list(self.vocabularies.get(name, ()))
            index.append({v: offset + i for i, v in enumerate(vocab)})
            offset += len(vocab)
        object.__setattr__(self, "_index", tuple(index))
        object.__setattr__(self, "_mean", np.asarray(self.numeric_mean, dtype=np.float64))
        object.__setattr__(self, "_std", np.asarray(self.numeric_std, dtype=np.float64))

    @property
    def categorical_width(self) -> int:
        return sum(len(v) for v in self._index)

    @property
    def width(self) -> int:
        return self.categorical_width + len(NUMERIC_COLUMNS) + len(MISSING_COLUMNS)

    def columns(self) -> list[str]:
        names = [
            f"{name}={value}"
            for name in CATEGORICAL_FIELDS
            for value in self.vocabularies.get(name, ())
        ]
        return [*names, *NUMERIC_COLUMNS, *MISSING_COLUMNS]

    def encode(self, features: Mapping[str, Any]) -> FloatArray:
        """One signal's input vector."""
        row: FloatArray = self.encode_raw(
            [raw_categories(features)], np.asarray([raw_numeric(features)])
        )[0]
        return row

    def sparse(self, features: Mapping[str, Any]) -> tuple[list[int], list[float]]:
        """One signal as (one-hot column indices, the dense numeric and missing-flag tail):
        the per-signal path, without building a mostly-zero vector."""
        cats = raw_categories(features)
        hot = [
            c for index, v in zip(self._index, cats, strict=True) if (c := index.get(v)) is not None
        ]
        numeric = raw_numeric(features)
        dense = [
            0.0 if math.isnan(v) else (v - m) / sd
            for v, m, sd in zip(numeric, self.numeric_mean, self.numeric_std, strict=True)
        ]
        dense += [float(math.isnan(numeric[i])) for i in _MISSING_SOURCE]
        return hot, dense

    def encode_many(self, rows: Iterable[Mapping[str, Any]]) -> FloatArray:
        items = list(rows)
        numeric = np.asarray([raw_numeric(f) for f in items], dtype=np.float64)
        return self.encode_raw([raw_categories(f) for f in items], numeric)

    def encode_raw(self, categories: Sequence[Sequence[str]], numeric: FloatArray) -> FloatArray:
        """Rows already split into `raw_categories` and `raw_numeric` (an n x k array)."""
        n = len(categories)
        out = np.zeros((n, self.width), dtype=np.float64)
        for field_no, index in enumerate(self._index):
            if not index:
                continue
            for row, cats in enumerate(categories):
                col = index.get(cats[field_no])
                if col is not None:  # an unseen value stays all zeros: the intercept
                    out[row, col] = 1.0
        if n == 0:
            return out
        numeric = numeric.reshape(n, len(NUMERIC_COLUMNS))
        missing = np.isnan(numeric)
        base = self.categorical_width
        scaled = (numeric - self._mean) / self._std
        # A missing numeric holds 0 (the training mean); its flag column says it was missing.
        out[:, base : base + len(NUMERIC_COLUMNS)] = np.where(missing, 0.0, scaled)
        base += len(NUMERIC_COLUMNS)
        for i, source in enumerate(_MISSING_SOURCE):
            out[:, base + i] = missing[:, source]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "categorical": {
                name: list(self.vocabularies.get(name, ())) for name in CATEGORICAL_FIELDS
            },
            "numeric": list(NUMERIC_COLUMNS),
            "numeric_mean": [float(v) for v in self.numeric_mean],
            "numeric_std": [float(v) for v in self.numeric_std],
            "missing": list(MISSING_COLUMNS),
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> EncodingSpec:
        if list(doc.get("numeric", [])) != list(NUMERIC_COLUMNS) or list(
            doc.get("missing", [])
        ) != list(MISSING_COLUMNS):
            raise ReleaseError("the artifact's numeric columns are not this reader's")
        stds = [float(v) for v in doc["numeric_std"]]
        if any(not (math.isfinite(s) and s > 0) for s in stds):
            raise ReleaseError("numeric_std must be finite and > 0")
        return cls(
            vocabularies={str(k): [str(v) for v in vs] for k, vs in doc["categorical"].items()},
            numeric_mean=[float(v) for v in doc["numeric_mean"]],
            numeric_std=stds,
        )


@dataclass(frozen=True)
class LinearHead:
    intercept: float
    coef: FloatArray
    _coef: list[float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_coef", [float(c) for c in self.coef])

    def score(self, x: FloatArray) -> Any:
        """x is one row (a float) or a matrix (an array of rows)."""
        return self.intercept + x @ self.coef

    def score_sparse(self, hot: Sequence[int], dense: Sequence[float]) -> float:
        """The score of one `EncodingSpec.sparse` row (plain floats: faster for one row)."""
        coef = self._coef
        base = len(coef) - len(dense)
        total = self.intercept
        for c in hot:
            total += coef[c]
        for i, v in enumerate(dense):
            total += v * coef[base + i]
        return total

    def to_dict(self) -> dict[str, Any]:
        return {"intercept": float(self.intercept), "coef": [float(c) for c in self.coef]}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], width: int, name: str) -> LinearHead:
        coef = np.asarray([float(c) for c in doc["coef"]], dtype=np.float64)
        intercept = float(doc["intercept"])
        if coef.shape != (width,):
            raise ReleaseError(f"head {name!r} has {coef.size} coefficients, expected {width}")
        if not (math.isfinite(intercept) and np.all(np.isfinite(coef))):
            raise ReleaseError(f"head {name!r} has non-finite weights")
        return cls(intercept, coef)


@dataclass(frozen=True)
class Prior:
    """What the model says without data: the heads were shrunk towards it in training."""

    win_prob: float
    r_win: float
    r_loss: float
    strength: float  # pseudo-trades

    @property
    def expected_r(self) -> float:
        return self.win_prob * self.r_win + (1.0 - self.win_prob) * self.r_loss

    def to_dict(self) -> dict[str, float]:
        return {
            "win_prob": self.win_prob,
            "r_win": self.r_win,
            "r_loss": self.r_loss,
            "strength": self.strength,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Prior:
        return cls(
            float(doc["win_prob"]),
            float(doc["r_win"]),
            float(doc["r_loss"]),
            float(doc["strength"]),
        )


def sigmoid(z: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def _sigmoid1(z: float) -> float:
    z = min(max(z, -40.0), 40.0)
    return 1.0 / (1.0 + math.exp(-z))


def logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1.0 - p))


@dataclass(frozen=True)
class WinProbModel:
    """A released model: win probability and expected R (in R multiples) per signal."""

    model_name: str
    version: str
    spec: EncodingSpec
    win: LinearHead
    r_win: LinearHead
    r_loss: LinearHead
    prior: Prior
    sha256: str = ""

    def predict(self, features: Mapping[str, Any]) -> float:
        """Calibrated probability that a trade on this signal wins (net P&L > 0), 0..1."""
        hot, dense = self.spec.sparse(features)
        return _sigmoid1(self.win.score_sparse(hot, dense))

    def expected_r(self, features: Mapping[str, Any]) -> float:
        """Expected R multiple of a trade on this signal."""
        hot, dense = self.spec.sparse(features)
        p = _sigmoid1(self.win.score_sparse(hot, dense))
        r_win = self.r_win.score_sparse(hot, dense)
        return p * r_win + (1.0 - p) * self.r_loss.score_sparse(hot, dense)

    def predict_matrix(self, x: FloatArray) -> FloatArray:
        """Win probabilities for an already encoded matrix (evaluation, benchmarks)."""
        return np.asarray(sigmoid(self.win.score(x)), dtype=np.float64)

    def expected_r_matrix(self, x: FloatArray) -> FloatArray:
        p = self.predict_matrix(x)
        out = p * self.r_win.score(x) + (1.0 - p) * self.r_loss.score(x)
        return np.asarray(out, dtype=np.float64)

    def predict_many(self, rows: Iterable[Mapping[str, Any]]) -> FloatArray:
        return self.predict_matrix(self.spec.encode_many(rows))

    def to_document(self, **extra: Any) -> dict[str, Any]:
        """The artifact's JSON document (`extra`: provenance fields such as the parent)."""
        return {
            "format": ARTIFACT_FORMAT,
            "model_name": self.model_name,
            "version": self.version,
            "input_features": list(INPUT_FEATURES),
            "encoding": self.spec.to_dict(),
            "columns": self.spec.columns(),
            "heads": {
                "win": self.win.to_dict(),
                "r_win": self.r_win.to_dict(),
                "r_loss": self.r_loss.to_dict(),
            },
            "prior": self.prior.to_dict(),
            **extra,
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], sha256: str = "") -> WinProbModel:
        if doc.get("format") != ARTIFACT_FORMAT:
            raise ReleaseError(
                f"artifact format {doc.get('format')!r} is not {ARTIFACT_FORMAT!r} "
                "(a newer learner? upgrade hive-lib)"
            )
        try:
            spec = EncodingSpec.from_dict(doc["encoding"])
            heads = doc["heads"]
            return cls(
                model_name=str(doc["model_name"]),
                version=str(doc["version"]),
                spec=spec,
                win=LinearHead.from_dict(heads["win"], spec.width, "win"),
                r_win=LinearHead.from_dict(heads["r_win"], spec.width, "r_win"),
                r_loss=LinearHead.from_dict(heads["r_loss"], spec.width, "r_loss"),
                prior=Prior.from_dict(doc["prior"]),
                sha256=sha256,
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ReleaseError):
                raise
            raise ReleaseError(f"malformed artifact: {type(exc).__name__}: {exc}") from exc


def prior_model(prior: Prior, model_name: str = "prior", version: str = "0000") -> WinProbModel:
    """The model with no data: every signal gets the prior (cold start, the first baseline)."""
    spec = EncodingSpec({}, [0.0] * len(NUMERIC_COLUMNS), [1.0] * len(NUMERIC_COLUMNS))
    zeros = np.zeros(spec.width, dtype=np.float64)
    return WinProbModel(
        model_name,
        version,
        spec,
        LinearHead(logit(prior.win_prob), zeros),
        LinearHead(prior.r_win, zeros),
        LinearHead(prior.r_loss, zeros),
        prior,
    )


def dump_artifact(doc: Mapping[str, Any]) -> bytes:
    """Canonical bytes (sorted keys, no spaces, exact float reprs): equal models hash equal."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_artifact(data: bytes, sha256: str, where: str = "artifact") -> WinProbModel:
    """A model from artifact bytes, refused unless they hash to `sha256`."""
    actual = sha256_hex(data)
    if actual != sha256.strip().lower():
        raise ReleaseIntegrityError(f"{where}: SHA-256 is {actual}, the release says {sha256}")
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise ReleaseError(f"{where}: not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ReleaseError(f"{where}: not a JSON object")
    return WinProbModel.from_document(doc, sha256=actual)


def artifact_path(artifact_uri: str) -> Path:
    """The local file of a `file://` URI (or a plain path)."""
    parsed = urlparse(artifact_uri)
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path) if parsed.scheme else artifact_uri)
    raise ReleaseError(f"{artifact_uri}: only file:// artifacts can be loaded")


def load_release(artifact_uri: str, sha256: str, *, store: Path | None = None) -> WinProbModel:
    """Load a released model, verifying the SHA-256 of its bytes.

    `store` (the reader's HIVE_MODEL_STORE) is tried when the URI's path does not exist here:
    a container that mounts the model store elsewhere finds `<store>/<model>/<file>`.
    """
    path = artifact_path(artifact_uri)
    if not path.exists() and store is not None:
        path = store / path.parent.name / path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReleaseError(f"{artifact_uri}: cannot read: {exc.strerror or exc}") from exc
    return parse_artifact(data, sha256, where=artifact_uri)
