"""The encoding spec fitted on training data: vocabularies and numeric standardisation.

The encoding itself (which columns, which transforms) is `hive.winprob`'s, shared with every
reader of a release, so what the learner trains on is exactly what the risk gate computes.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from hive.winprob import CATEGORICAL_FIELDS, NUMERIC_COLUMNS, EncodingSpec

# A category seen fewer times than this is left out of the vocabulary: an unseen value falls
# back to the intercept, which is what the prior would make of a handful of trades anyway.
MIN_CATEGORY_COUNT = 1
_MIN_STD = 1e-6


def fit_spec(
    categories: Sequence[Sequence[str]],
    numeric: npt.NDArray[np.float64],
    min_count: int = MIN_CATEGORY_COUNT,
) -> EncodingSpec:
    """Vocabularies (sorted: deterministic) and the mean/std of each numeric column, from the
    training rows' `raw_categories` and `raw_numeric` (NaN = missing, left out)."""
    vocab = {}
    for i, name in enumerate(CATEGORICAL_FIELDS):
        counts = Counter(row[i] for row in categories)
        vocab[name] = sorted(v for v, n in counts.items() if n >= min_count)
    numeric = numeric.reshape(len(categories), len(NUMERIC_COLUMNS))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column: NaN, handled
        means = np.nanmean(numeric, axis=0) if len(categories) else np.zeros(numeric.shape[1])
        stds = np.nanstd(numeric, axis=0) if len(categories) else np.ones(numeric.shape[1])
    means = np.where(np.isnan(means), 0.0, means)
    # A constant (or all-missing) column is left unscaled rather than divided by ~0.
    stds = np.where(np.isnan(stds) | (stds < _MIN_STD), 1.0, stds)
    return EncodingSpec(vocab, [float(m) for m in means], [float(s) for s in stds])
