"""The one error the governor raises for bad input: the service dead-letters the record with
`reason` in the headers and goes on."""

from __future__ import annotations


class GovernorInputError(ValueError):
    """An input record the governor cannot read; `reason` is a short stable code for metrics."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
