"""Keys of the audit trail: each writing service signs its chain's hashes with its own Ed25519 key.

A signature covers the ASCII bytes of the event's `hash` (which covers every hashed field and the
previous hash), so a rewritten event, even with every later hash recomputed, needs the chain's
private key. Ed25519 signatures are deterministic: a replay writes the same signed chain.

Formats (environment variables):
- a private key (HIVE_AUDIT_SIGNING_KEY): the 32-byte Ed25519 seed in base64, or a PEM
  (PKCS#8) private key;
- public keys (HIVE_AUDIT_PUBLIC_KEYS): a JSON object {chain_id: public key}, each the 32 raw
  bytes in base64, or a PEM (SubjectPublicKeyInfo) public key.
`key_id` = the first 16 hex digits of the SHA-256 of the raw public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hive.config import load_settings


class AuditKeyError(ValueError):
    """A key that cannot be read (the message never contains the key)."""


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw_public(key)).hexdigest()[:16]


def public_key_text(key: Ed25519PublicKey) -> str:
    """The public key as HIVE_AUDIT_PUBLIC_KEYS takes it (raw bytes, base64)."""
    return base64.b64encode(_raw_public(key)).decode("ascii")


def private_key_text(key: Ed25519PrivateKey) -> str:
    """The private key as HIVE_AUDIT_SIGNING_KEY takes it (the 32-byte seed, base64)."""
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return base64.b64encode(raw).decode("ascii")


def _b64(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise AuditKeyError(f"{what}: neither PEM nor base64") from None
    if len(raw) != 32:
        raise AuditKeyError(f"{what}: {len(raw)} bytes where an Ed25519 key has 32")
    return raw


def load_private_key(text: str) -> Ed25519PrivateKey:
    text = text.strip()
    if not text:
        raise AuditKeyError("audit signing key: empty")
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        except (ValueError, TypeError):
            raise AuditKeyError("audit signing key: not a readable PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise AuditKeyError("audit signing key: not an Ed25519 key")
        return key
    return Ed25519PrivateKey.from_private_bytes(_b64(text, "audit signing key"))


def load_public_key(text: str, what: str = "audit public key") -> Ed25519PublicKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except ValueError:
            raise AuditKeyError(f"{what}: not a readable PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise AuditKeyError(f"{what}: not an Ed25519 key")
        return key
    return Ed25519PublicKey.from_public_bytes(_b64(text, what))


def load_public_keys(text: str) -> dict[str, Ed25519PublicKey]:
    """Parse HIVE_AUDIT_PUBLIC_KEYS: a JSON object {chain_id: public key}."""
    try:
        obj = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        raise AuditKeyError("audit public keys: not a JSON object") from None
    if not isinstance(obj, dict) or not all(isinstance(v, str) for v in obj.values()):
        raise AuditKeyError("audit public keys: a JSON object {chain_id: public key}")
    return {
        str(chain): load_public_key(value, f"audit public key of {chain}")
        for chain, value in obj.items()
    }


@dataclass(frozen=True)
class AuditSigner:
    """Signs the hashes of one chain with its service's private key."""

    private_key: Ed25519PrivateKey

    @classmethod
    def from_text(cls, text: str) -> AuditSigner:
        return cls(load_private_key(text))

    @property
    def key_id(self) -> str:
        return key_id(self.private_key.public_key())

    def sign(self, event_hash: str) -> str:
        return base64.b64encode(self.private_key.sign(event_hash.encode("ascii"))).decode("ascii")


def signature_ok(public_key: Ed25519PublicKey, event_hash: str, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, event_hash.encode("ascii"))
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def new_key_pair() -> tuple[str, str]:
    """(private key text, public key text) of a fresh Ed25519 key."""
    key = Ed25519PrivateKey.generate()
    return private_key_text(key), public_key_text(key.public_key())


def public_keys_text(keys: Mapping[str, Ed25519PublicKey]) -> str:
    return json.dumps({c: public_key_text(k) for c, k in sorted(keys.items())}, sort_keys=True)


class AuditSigningSettings(BaseSettings):
    """The writing service's own signing key (env HIVE_AUDIT_SIGNING_KEY); unset or empty =
    unsigned.
    A key that cannot be read stops the service at start with one line (load_settings) that
    names the variable and never shows the value."""

    model_config = SettingsConfigDict(env_prefix="HIVE_", extra="ignore")

    audit_signing_key: SecretStr | None = None

    @field_validator("audit_signing_key")
    @classmethod
    def _readable(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None  # set but empty (e.g. compose's ${VAR:-}): unsigned, as when unset
        if value is not None:
            try:
                load_private_key(value.get_secret_value())
            except AuditKeyError as exc:
                raise ValueError(str(exc)) from None
        return value

    def signer(self) -> AuditSigner | None:
        key = self.audit_signing_key
        return AuditSigner.from_text(key.get_secret_value()) if key is not None else None


def audit_signer() -> AuditSigner | None:
    """The service's signer from HIVE_AUDIT_SIGNING_KEY (None when unset); exit 2 with one line
    when the key cannot be read."""
    return load_settings(AuditSigningSettings).signer()
