"""`hive keys …`: API keys for the hub, and the audit chains' signing keys."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Annotated, Literal

import typer

keys_app = typer.Typer(
    help="API keys for the hub (HIVE_HUB_API_KEYS, HIVE_HUB_ADMIN_KEY) and audit signing keys."
)

Role = Literal["viewer", "operator", "admin"]


@keys_app.command("new")
def new(
    name: Annotated[
        str, typer.Option(help="The key's name: who holds it (the audit trail's actor).")
    ] = "admin",
    role: Annotated[Role, typer.Option(help="viewer, operator or admin.")] = "admin",
) -> None:
    """Print a new random key (32 random bytes, URL-safe base64: 43 characters) and its SHA-256
    as the hub's HIVE_HUB_API_KEYS takes it. The key is shown once and kept nowhere: hand it to
    its holder; configure only the hash (or give the key itself as HIVE_HUB_ADMIN_KEY)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}", name):
        raise typer.BadParameter("letters, digits and . _ @ - (at most 64)", param_hint="--name")
    key = secrets.token_urlsafe(32)
    sha = hashlib.sha256(key.encode("utf-8")).hexdigest()
    entry = json.dumps({name: {"role": role, "sha256": sha}})
    typer.echo(f"key     {key}")
    typer.echo(f"sha256  {sha}")
    typer.echo(f"HIVE_HUB_API_KEYS='{entry}'")


@keys_app.command("audit")
def audit(
    chain: Annotated[
        str, typer.Option(help="The chain the key signs (the writing service: governor, ...).")
    ],
) -> None:
    """Print a new Ed25519 key pair for one audit chain: the private key for that service's
    HIVE_AUDIT_SIGNING_KEY (shown once, kept nowhere) and its entry in the verifiers'
    HIVE_AUDIT_PUBLIC_KEYS."""
    from hive.audit_keys import new_key_pair

    if not re.fullmatch(r"[a-z][a-z0-9-]{0,63}", chain):
        raise typer.BadParameter(
            "a service name: a-z, digits and - (at most 64)", param_hint="--chain"
        )
    private, public = new_key_pair()
    typer.echo(f"HIVE_AUDIT_SIGNING_KEY={private}")
    typer.echo(f"HIVE_AUDIT_PUBLIC_KEYS='{json.dumps({chain: public})}'")
