"""Who is calling, and may they: API keys stored as SHA-256 digests, three ordered roles.

A request carries its key as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Keys are
compared by digest in constant time; the clear key is never stored (a bootstrap admin key from
HIVE_HUB_ADMIN_KEY is hashed at start and dropped). Webhook sources authenticate with their own
tokens (HIVE_HUB_WEBHOOK_SECRETS), which are not API keys and grant no role.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from hive_hub.settings import ApiKeySpec, HubSettings

Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")
_RANK = {r: i for i, r in enumerate(ROLES)}


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role

    def may(self, needed: Role) -> bool:
        return _RANK[self.role] >= _RANK[needed]

    @property
    def record_role(self) -> str:
        """As the records spell it (VIEWER, OPERATOR, ADMIN)."""
        return self.role.upper()


class KeyRing:
    """The configured API keys, by digest."""

    def __init__(self, keys: Mapping[str, ApiKeySpec]) -> None:
        self._by_digest: dict[str, Principal] = {}
        for name, spec in keys.items():
            self._by_digest[spec.sha256] = Principal(name, spec.role)

    @classmethod
    def from_settings(cls, settings: HubSettings) -> KeyRing:
        keys = dict(settings.hub_api_keys)
        if settings.hub_admin_key is not None:
            keys.setdefault(
                "admin",
                ApiKeySpec(role="admin", sha256=digest(settings.hub_admin_key.get_secret_value())),
            )
        return cls(keys)

    def __len__(self) -> int:
        return len(self._by_digest)

    def identify(self, key: str | None) -> Principal | None:
        if not key:
            return None
        d = digest(key)
        found: Principal | None = None
        for known, principal in self._by_digest.items():
            # Compare against every entry so the time taken does not tell which one matched.
            if hmac.compare_digest(known, d):
                found = principal
        return found


def key_from_headers(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return None


class WebhookSecrets:
    """source -> digest of its token."""

    def __init__(self, secrets: Mapping[str, str]) -> None:
        self._secrets = dict(secrets)

    def check(self, source: str, token: str | None) -> bool:
        expected = self._secrets.get(source)
        if expected is None or not token:
            # Still hash once, so an unknown source costs what a known one does.
            hmac.compare_digest(digest(token or ""), "0" * 64)
            return False
        return hmac.compare_digest(expected, digest(token))

    def __contains__(self, source: object) -> bool:
        return source in self._secrets
