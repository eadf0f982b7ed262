"""The one exception the executor raises for input a user or an upstream service can produce."""

from __future__ import annotations


class ExecutorInputError(ValueError):
    """A record the executor cannot act on; the service sends it to the dead-letter topic.

    `reason` is a short code for the DLQ header and the metric (e.g. `invalid_record`,
    `unknown_symbol`, `invalid_quantity`, `wrong_side_stop`, `stale_intent`).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
