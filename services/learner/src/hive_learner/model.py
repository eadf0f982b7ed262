"""The model, fitted with torch: three generalised linear heads over the encoded features.

- `win`: logistic, P(net P&L > 0);
- `r_win` / `r_loss`: linear, mean R multiple of the winning / losing trades, so that
  expected R = p * r_win + (1 - p) * r_loss (a single linear head for R fits poorly: R is
  about +rr for a win and -1 for a loss, a product of the win probability and the levels).

Why linear heads and not a deeper network: the features are few and mostly categorical, the
data per source is small, and what the gate needs is a *calibrated* probability. A logistic
model fitted by maximum likelihood is calibrated on its training data by construction, its loss
is convex (one optimum: same data, same weights, no seed luck), and successive versions move
smoothly, which the trust region needs.

The prior is a Gaussian penalty, in pseudo-trades: `strength` trades' worth of evidence that
every effect is zero and the intercept is the prior's. A source with n trades moves away from
the population by roughly n / (n + strength) of what its own trades say; with no trades at all
the model is the prior. The loss is the *weighted sum* over trades (recency x signal share),
not the mean, so the prior's weight against the data is what `strength` says.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

FloatArray = npt.NDArray[np.float64]
# Per-trade Fisher information of a logit near p = 0.5, and of a mean with unit variance:
# converts `strength` (trades) into the Gaussian penalty's precision.
LOGISTIC_INFO = 0.25
GAUSSIAN_INFO = 1.0


@dataclass(frozen=True)
class FitResult:
    intercept: float
    coef: FloatArray
    iterations: int
    loss: float


@contextlib.contextmanager
def deterministic(seed: int) -> Iterator[None]:
    """Same data and seed, same bits: deterministic kernels, fixed seed, one thread
    (a parallel reduction may add in a different order)."""
    threads = torch.get_num_threads()
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(was_deterministic)


class GlmHead(torch.nn.Module):
    """One linear score over the encoded features (float64 throughout)."""

    def __init__(self, width: int, intercept: float) -> None:
        super().__init__()
        self.coef = torch.nn.Parameter(torch.zeros(width, dtype=torch.float64))
        self.intercept = torch.nn.Parameter(torch.tensor(intercept, dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.intercept + x @ self.coef


def fit_head(
    x: FloatArray,
    y: FloatArray,
    weights: FloatArray,
    *,
    kind: str,
    prior_intercept: float,
    strength: float,
    max_iter: int = 200,
) -> FitResult:
    """Maximum a posteriori fit of one head; `kind` is 'logistic' (y in {0, 1}) or 'gaussian'.

    Full-batch L-BFGS with a strong-Wolfe line search: the objective is convex and small
    (tens of parameters), so this converges to the optimum in tens of steps, deterministically.
    """
    if kind not in ("logistic", "gaussian"):
        raise ValueError(f"unknown head kind {kind!r}")
    width = x.shape[1]
    head = GlmHead(width, prior_intercept)
    precision = strength * (LOGISTIC_INFO if kind == "logistic" else GAUSSIAN_INFO)
    if x.shape[0] == 0:  # nothing to learn from: the prior
        return FitResult(prior_intercept, np.zeros(width), 0, 0.0)
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))
    yt = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float64))
    wt = torch.from_numpy(np.ascontiguousarray(weights, dtype=np.float64))
    # Scaled by the total weight so the line search sees O(1) values; the optimum is unchanged.
    scale = 1.0 / max(float(wt.sum()), 1e-12)
    b0 = torch.tensor(prior_intercept, dtype=torch.float64)

    def objective() -> torch.Tensor:
        z = head(xt)
        if kind == "logistic":
            per_trade = torch.nn.functional.binary_cross_entropy_with_logits(
                z, yt, reduction="none"
            )
        else:
            per_trade = 0.5 * (z - yt) ** 2
        penalty = 0.5 * precision * (head.coef.pow(2).sum() + (head.intercept - b0) ** 2)
        return scale * ((wt * per_trade).sum() + penalty)

    optimiser = torch.optim.LBFGS(
        head.parameters(),
        lr=1.0,
        max_iter=max_iter,
        history_size=20,
        tolerance_grad=1e-10,
        tolerance_change=1e-14,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = objective()
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimiser.step(closure)  # type: ignore[no-untyped-call]
    state = optimiser.state[optimiser._params[0]]
    with torch.no_grad():
        final = float(objective())
    return FitResult(
        intercept=float(head.intercept.detach()),
        coef=head.coef.detach().numpy().copy(),
        iterations=int(state.get("n_iter", 0)),
        loss=final,
    )
