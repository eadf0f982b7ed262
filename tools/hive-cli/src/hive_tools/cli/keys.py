"""`hive keys …`: API keys for the hub."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Annotated, Literal

import typer

keys_app = typer.Typer(help="API keys for the hub (HIVE_HUB_API_KEYS, HIVE_HUB_ADMIN_KEY).")

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
