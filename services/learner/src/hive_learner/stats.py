"""A one-sided one-sample t-test, in plain Python (no scipy in the learner's dependencies).

`mean_below_zero(values)`: H0 mean >= 0 against H1 mean < 0. t = mean / (s / sqrt(n)) with the
sample standard deviation s (n - 1), and p = P(T <= t) for Student's t with n - 1 degrees of
freedom, from the regularised incomplete beta function:

    P(T <= t) = I_x(df / 2, 1 / 2) / 2 with x = df / (df + t^2), for t <= 0
              = 1 - I_x(df / 2, 1 / 2) / 2                      for t > 0

I_x by its continued fraction (modified Lentz), accurate to about 1e-12 here. Deterministic:
the same values give the same bits whatever their order (they are sorted before summing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# A spread of exactly 0 (every outcome the same) leaves t undefined: it is floored so the test
# still says "certainly below 0" (or not) with a finite statistic that JSON can carry.
MIN_STD = 1e-9


@dataclass(frozen=True)
class TTest:
    n: int
    mean: float
    statistic: float
    p_value: float


def mean_below_zero(values: Sequence[float]) -> TTest:
    """One-sided t-test that the mean is below 0; needs at least 2 values."""
    n = len(values)
    if n < 2:
        raise ValueError("a t-test needs at least 2 values")
    ordered = sorted(values)
    mean = math.fsum(ordered) / n
    var = math.fsum((v - mean) ** 2 for v in ordered) / (n - 1)
    std = max(math.sqrt(var), MIN_STD)
    t = mean / (std / math.sqrt(n))
    return TTest(n=n, mean=mean, statistic=t, p_value=student_t_cdf(t, n - 1))


def student_t_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t with `df` degrees of freedom."""
    x = df / (df + t * t)
    tail = 0.5 * _betainc(df / 2.0, 0.5, x)
    return tail if t <= 0 else 1.0 - tail


def _betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _continued_fraction(a, b, x) / a
    return 1.0 - front * _continued_fraction(b, a, 1.0 - x) / b


def _continued_fraction(a: float, b: float, x: float) -> float:
    tiny, eps = 1e-300, 1e-15
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for num in (
            m * (b - m) * x / ((a + m2 - 1.0) * (a + m2)),
            -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0)),
        ):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            break
    return h
