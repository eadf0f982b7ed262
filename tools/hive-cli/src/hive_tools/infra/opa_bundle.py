"""What locks the local OPA down: the risk gate's token, the bundle signing keys, the bundle.

Every file is generated into the state dir (never the repository) and readable by its owner
only. The token and the keys are made once and kept (a restarted OPA accepts the same token the
running services hold); the bundle is built again from `policies/` at every start, signed with
the private key, and OPA verifies it with the public key before serving anything.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from hive_tools.infra.process import run

TOKEN_VAR = "HIVE_OPA_TOKEN"  # noqa: S105 - the variable's name, not a token
# OPA's authorization policy (policies/system/authz) and the risk gate both refuse shorter ones.
MIN_TOKEN_LENGTH = 32
# The tests are not shipped: the bundle holds the policies and their data only.
IGNORE = "*_test.rego"


def _write_private(path: Path, data: bytes) -> bool:
    """Create `path` with mode 0600 holding `data`, whole or not at all (a reader never sees
    it half written); False when it exists already (another process may have made it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.link(tmp, path)  # fails if the file exists: the first one made stays
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def ensure_token(path: Path) -> str:
    """The token in `path`, made (43 URL-safe characters) when the file does not exist."""
    _write_private(path, (secrets.token_urlsafe(32) + "\n").encode())
    token = path.read_text(encoding="utf-8").strip()
    if len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(
            f"{path}: the OPA token must be at least {MIN_TOKEN_LENGTH} characters; "
            "delete the file to have a new one made"
        )
    return token


def ensure_signing_keys(private: Path, public: Path) -> None:
    """An RSA key pair for signing the bundle (RS256, OPA's default), made once."""
    if private.is_file() and public.is_file():
        return
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    private.unlink(missing_ok=True)
    public.unlink(missing_ok=True)
    _write_private(private, pem)
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def build_bundle(
    opa: Path, policies: Path, signing_key: Path, out: Path, *, log_file: Path | None = None
) -> None:
    """`opa build` of `policies` into a bundle signed with `signing_key`, replacing `out`."""
    tmp = out.with_name(out.name + ".tmp")
    tmp.unlink(missing_ok=True)
    run(
        [
            str(opa),
            "build",
            "--bundle",
            ".",  # relative: the bundle's file names are the policies' own paths
            "--ignore",
            IGNORE,
            "--signing-key",
            str(signing_key),
            "--output",
            str(tmp),
        ],
        what=f"opa build --signing-key (the signed policy bundle of {policies})",
        log_file=log_file,
        cwd=policies,
        timeout=120,
    )
    os.chmod(tmp, 0o600)
    tmp.replace(out)
