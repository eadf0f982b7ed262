"""OPA locked down, on the real server `hive infra up` starts (its own instance here, on a free
port with its own state dir, not the shared one): token authentication, the authorization
policy policies/system/authz, and a signed bundle OPA verifies at start.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from hive_risk_gate.opa import MODIFICATION_PACKAGE, OpaPolicy, PolicyUnavailableError
from hive_tools import infra
from hive_tools.infra.components import Opa
from hive_tools.infra.opa_bundle import build_bundle
from hive_tools.supervise import free_port

from support.opa import CONTRACT_INPUT

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RISK = "/v1/data/hive/risk/decision"
MODIFICATION = "/v1/data/hive/modification/decision"
# An allowed entry (policies/CONTRACT.md's example) and a modification that adds no risk.
ENTRY = CONTRACT_INPUT
CLOSE = {"modification": {"adds_risk": False}}
# The rule a successful upload would put in force: allow everything.
EVIL = 'package hive.risk\n\ndecision := {"allow": true, "reasons": []}\n'


@dataclass(frozen=True)
class LockedOpa:
    settings: infra.InfraSettings
    url: str
    token: str

    def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return httpx.request(
            method, f"{self.url}{path}", headers=headers, timeout=10, trust_env=False, **kw
        )


def _settings(tmp: Path, **kw: Any) -> infra.InfraSettings:
    return infra.InfraSettings(state_dir=tmp / "state", opa_port=free_port(), **kw)


@pytest.fixture(scope="module")
def opa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LockedOpa]:
    settings = _settings(tmp_path_factory.mktemp("opa"))
    infra.up(["opa"], settings=settings)
    try:
        env = infra.endpoints(settings)
        yield LockedOpa(settings, env["HIVE_OPA_URL"], env["HIVE_OPA_TOKEN"])
    finally:
        infra.down(["opa"], settings=settings)


def _other_key(path: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def test_the_token_and_the_keys_live_in_the_state_dir_readable_by_their_owner_only(
    opa: LockedOpa,
) -> None:
    comp = Opa(opa.settings)
    for secret in (comp.token_file, comp.signing_key, comp.bundle_file):
        assert secret.is_relative_to(opa.settings.state), secret
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
    assert len(opa.token) >= 32
    # Made once: what `hive infra env` prints is what the running OPA accepts.
    assert comp.token() == opa.token == infra.endpoints(opa.settings)["HIVE_OPA_TOKEN"]


def test_opa_refuses_a_policy_upload_and_data_writes_with_or_without_the_token(
    opa: LockedOpa,
) -> None:
    for token in (None, opa.token):
        assert opa.call("PUT", "/v1/policies/evil", token, content=EVIL).status_code == 401
        assert opa.call("DELETE", "/v1/policies/hive/risk/decision.rego", token).status_code == 401
        put = opa.call("PUT", "/v1/data/hive/calendar", token, json={"events": []})
        assert put.status_code == 401
        patch = opa.call(
            "PATCH", "/v1/data/hive/profiles", token, json=[{"op": "remove", "path": "/strict"}]
        )
        assert patch.status_code == 401
    # The policies are still the bundle's: the example entry is allowed for its own reasons.
    answer = opa.call("POST", RISK, opa.token, json={"input": ENTRY}).json()["result"]
    assert answer["allow"] is True and "limits" in answer


def test_opa_refuses_a_query_without_the_token_or_with_another(opa: LockedOpa) -> None:
    for token in (None, "x" * 43, opa.token[:-1]):
        res = opa.call("POST", RISK, token, json={"input": ENTRY})
        assert res.status_code == 401, (token, res.text)
        assert res.json()["code"] == "unauthorized"
    with pytest.raises(PolicyUnavailableError, match="HIVE_OPA_TOKEN"):
        OpaPolicy(opa.url, timeout_s=5)(ENTRY)


def test_the_gates_token_asks_the_two_decisions_and_nothing_else(opa: LockedOpa) -> None:
    decide = OpaPolicy(opa.url, timeout_s=5, token=opa.token)
    modify = OpaPolicy(opa.url, timeout_s=5, token=opa.token, package=MODIFICATION_PACKAGE)
    try:
        assert decide(ENTRY)["allow"] is True
        closed = modify(CLOSE)
        assert closed["allow"] is True and closed["reasons"] == []
    finally:
        decide.close()
        modify.close()
    refused = [
        ("POST", "/v1/data/hive/risk/reason_codes"),
        ("POST", "/v1/data/hive/risk/input_errors"),
        ("POST", "/v1/data/system/authz/allow"),
        ("POST", "/v1/data"),
        ("GET", RISK),
        ("GET", "/v1/data/hive/calendar"),
        ("GET", "/v1/policies"),
        ("GET", "/v1/config"),
        ("GET", "/v1/status"),
        ("POST", "/v1/query"),
        ("POST", "/v1/compile"),
        ("POST", "/"),
    ]
    for method, path in refused:
        res = opa.call(method, path, opa.token, json={"input": ENTRY, "query": "data"})
        assert res.status_code == 401, (method, path, res.status_code)


def test_health_and_metrics_answer_without_a_token(opa: LockedOpa) -> None:
    assert opa.call("GET", "/health").status_code == 200
    assert opa.call("GET", "/health?bundles").status_code == 200
    metrics = opa.call("GET", "/metrics")
    assert metrics.status_code == 200 and "http_request_duration_seconds" in metrics.text


def test_a_bundle_signed_with_another_key_is_refused_at_start(tmp_path: Path) -> None:
    comp = Opa(_settings(tmp_path))
    comp.prepare()  # the token, the keys and the bundle signed with them
    build_bundle(comp.binary, comp.s.policies, _other_key(tmp_path / "other.pem"), comp.bundle_file)
    done = subprocess.run(
        comp.command(), env=comp.env(), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode != 0
    assert "failed to verify" in done.stdout + done.stderr, done.stdout + done.stderr
    assert not Opa(comp.s).is_ready()

    # The same through `hive infra up`: the bundle is signed with the kept signing key, so a
    # verification key that does not match it stops the start, naming the cause.
    shutil.copy(tmp_path / "other.pem", comp.signing_key)
    with pytest.raises(infra.InfraError, match="failed to verify"):
        infra.up(["opa"], settings=comp.s)
    assert not infra.status(["opa"], settings=comp.s)[0].running


def test_opa_does_not_watch_because_a_watched_bundle_reloads_unverified(tmp_path: Path) -> None:
    """Why `hive infra up` gives OPA no --watch: OPA v1.22.2 reloads a watched bundle file
    without checking its signature (this test fails once OPA checks it)."""
    comp = Opa(_settings(tmp_path))
    comp.prepare()
    assert not any(a.startswith("--watch") for a in comp.command())
    policies = tmp_path / "policies"
    shutil.copytree(comp.s.policies, policies)
    watched = [*comp.command()[:-1], "--watch", str(comp.bundle_file)]
    proc = subprocess.Popen(
        watched, env=comp.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while not comp.is_ready():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        (policies / "hive" / "bundle" / "data.json").write_text('{"version": "forged"}')
        build_bundle(comp.binary, policies, _other_key(tmp_path / "other.pem"), comp.bundle_file)
        decide = OpaPolicy(comp.address, timeout_s=5, token=comp.token())
        deadline = time.monotonic() + 30
        while decide(ENTRY)["bundle_version"] != "forged":
            assert time.monotonic() < deadline, "OPA now refuses it: --watch may come back"
            time.sleep(0.2)
        decide.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_every_start_builds_the_bundle_again_from_the_policies(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    settings = _settings(tmp_path, policies_dir=policies)
    version = policies / "hive" / "bundle" / "data.json"
    served: list[str] = []
    for edition in ("first", "second"):
        version.write_text(json.dumps({"version": edition}))
        infra.up(["opa"], settings=settings)
        try:
            token = Opa(settings).token()
            decide = OpaPolicy(Opa(settings).address, timeout_s=5, token=token)
            served.append(decide(ENTRY)["bundle_version"])
            decide.close()
        finally:
            infra.down(["opa"], settings=settings)
    assert served == ["first", "second"]


def test_keys_made_as_env_example_says_sign_a_bundle_opa_verifies(tmp_path: Path) -> None:
    """The openssl commands .env.example gives for the compose stack's bundle keys."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    commands = [line.lstrip("# ").strip() for line in lines if line.startswith("#   openssl ")]
    assert len(commands) == 2, commands
    keys = tmp_path / "keys"
    keys.mkdir()
    for command in commands:
        subprocess.run(["bash", "-c", command], cwd=keys, check=True, capture_output=True)
    settings = _settings(tmp_path)
    comp = Opa(settings)
    comp.signing_key.parent.mkdir(parents=True)
    shutil.copy(keys / "bundle-signing.pem", comp.signing_key)
    shutil.copy(keys / "bundle-verification.pem", comp.verification_key)
    infra.up(["opa"], settings=settings)  # keeps the keys it finds, signs, verifies
    try:
        decide = OpaPolicy(comp.address, timeout_s=5, token=comp.token())
        assert decide(ENTRY)["allow"] is True
        decide.close()
    finally:
        infra.down(["opa"], settings=settings)
