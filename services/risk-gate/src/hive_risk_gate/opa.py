"""The policy decision point: the real OPA server, asked through opa-python-client.

Any failure to get an answer (server down, timeout, an error status, an answer without a
decision) raises PolicyUnavailableError; the decision logic turns that into a denial with the
reason `policy.unavailable`. The gate fails closed: no answer, no order.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from opa_client.opa import OpaClient

PACKAGE = "hive.risk"
MODIFICATION_PACKAGE = "hive.modification"  # the modification rule set: stops moved away
RULE = "decision"


class PolicyUnavailableError(RuntimeError):
    """OPA did not give a decision."""


class OpaPolicy:
    """Callable: CONTRACT.md input -> CONTRACT.md output (policies/CONTRACT.md); `package`
    names the decision asked: entries (`hive.risk`) or modifications (`hive.modification`)."""

    def __init__(
        self,
        url: str,
        timeout_s: float = 0.5,
        retries: int = 0,
        package: str = PACKAGE,
        token: str | None = None,
    ) -> None:
        self._package = package
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"OPA URL must look like http://host:port, got {url!r}")
        self._client = OpaClient(
            host=parts.hostname,
            port=parts.port or (443 if parts.scheme == "https" else 80),
            ssl=parts.scheme == "https",
            timeout=timeout_s,
            retries=retries,
            # Sent as `Authorization: Bearer <token>` with every query: OPA's authorization
            # policy (policies/system/authz) lets this token ask the decisions and nothing else.
            token=token,
        )

    def __call__(self, policy_input: dict[str, Any]) -> dict[str, Any]:
        try:
            answer = self._client.query_rule(policy_input, self._package, RULE)
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (401, 403):
                raise PolicyUnavailableError(
                    f"OPA refused the query ({status}): HIVE_OPA_TOKEN is not the token it accepts"
                ) from exc
            raise PolicyUnavailableError(f"OPA query failed: {exc}") from exc
        except (requests.RequestException, ValueError) as exc:
            raise PolicyUnavailableError(f"OPA query failed: {exc}") from exc
        result = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(result, dict) or not isinstance(result.get("allow"), bool):
            # An undefined decision means the policies are not loaded: never read it as "allow".
            raise PolicyUnavailableError(f"OPA returned no decision: {answer!r}"[:300])
        return result

    def close(self) -> None:
        self._client.close_connection()
