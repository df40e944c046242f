"""Device SRP (remembered devices): answers of amazon-cognito-identity-js, recorded and live.

``tests/device_srp_vectors.json`` holds cases and the answers amazon-cognito-identity-js 6.3.21
(Amplify's Cognito client, not our code) gave for them, made with
``node tests/js-cognito/device_srp.mjs`` (its ``made_with`` field says how; the package is the
one the stack's own device tests use). The verifier cases let the library draw the device
password and salt itself, exactly as after a sign-in that returns ``NewDeviceMetadata``; the
claim cases fix the private value ``a`` in its helper. The live test (slow) runs the same script
on fresh values when node and npm are there (the package is installed on first use).
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from scribeauth import srp
from scribeauth.errors import ServiceError

HERE = Path(__file__).parent
VECTORS = json.loads((HERE / "device_srp_vectors.json").read_text())
JS = HERE / "js-cognito"


def _pairs(kind: str) -> list[tuple[dict[str, str], dict[str, str]]]:
    return [
        (case, answer)
        for case, answer in zip(VECTORS["cases"], VECTORS["answers"], strict=True)
        if case["kind"] == kind
    ]


def _when(timestamp: str) -> datetime:
    return datetime.strptime(timestamp, "%a %b %d %H:%M:%S UTC %Y").replace(tzinfo=timezone.utc)


def _our_claim(case: dict[str, str]) -> tuple[str, dict[str, str]]:
    a = int(case["a_hex"], 16)
    big_a = pow(srp.G, a, srp.N)
    claim = srp.device_claim(
        case["device_group_key"],
        case["device_key"],
        case["password"],
        a,
        big_a,
        case["srp_b_hex"],
        case["salt_hex"],
        case["secret_block_b64"],
        _when(case["timestamp"]),
    )
    return srp.srp_a_hex(big_a), claim


# -- recorded answers ----------------------------------------------------------------------------


def test_vectors_cover_both_kinds_and_a_padded_salt() -> None:
    verifiers, claims = _pairs("verifier"), _pairs("claim")
    assert len(verifiers) >= 6
    assert len(claims) >= 3
    # A salt whose high bit is set is sent with a 00 byte in front: at least one case has it.
    assert any(answer["salt_hex"].startswith("00") for _, answer in verifiers)
    assert "amazon-cognito-identity-js" in VECTORS["made_with"]


@pytest.mark.parametrize(("case", "answer"), _pairs("verifier"))
def test_device_verifier_matches_amplify(case: dict[str, str], answer: dict[str, str]) -> None:
    config = srp.device_verifier(
        case["device_group_key"],
        case["device_key"],
        answer["password"],
        int(answer["salt_hex"], 16),
    )
    assert config == {"Salt": answer["salt_b64"], "PasswordVerifier": answer["verifier_b64"]}


@pytest.mark.parametrize(("case", "answer"), _pairs("claim"))
def test_device_claim_matches_amplify(case: dict[str, str], answer: dict[str, str]) -> None:
    srp_a, claim = _our_claim(case)
    assert srp_a == answer["srp_a_hex"]
    assert claim == {
        "PASSWORD_CLAIM_SIGNATURE": answer["signature"],
        "PASSWORD_CLAIM_SECRET_BLOCK": case["secret_block_b64"],
        "TIMESTAMP": case["timestamp"],
    }


def test_another_device_password_or_key_gives_another_answer() -> None:
    (case, answer), *_ = _pairs("claim")
    for change in ({"password": case["password"] + "x"}, {"device_key": case["device_key"] + "x"}):
        _, claim = _our_claim({**case, **change})
        assert claim["PASSWORD_CLAIM_SIGNATURE"] != answer["signature"]
    (vcase, vanswer), *_ = _pairs("verifier")
    other = srp.device_verifier(
        vcase["device_group_key"] + "x",
        vcase["device_key"],
        vanswer["password"],
        int(vanswer["salt_hex"], 16),
    )
    assert other["PasswordVerifier"] != vanswer["verifier_b64"]


# -- randomness and safety -----------------------------------------------------------------------


def test_device_password_and_salt_come_from_the_given_randomness() -> None:
    asked: list[int] = []

    def fixed(count: int) -> bytes:
        asked.append(count)
        return bytes(range(count))

    password = srp.new_device_password(fixed)
    assert base64.b64decode(password) == bytes(range(40))
    assert srp.new_device_salt(fixed) == int.from_bytes(bytes(range(16)), "big")
    assert asked == [40, 16]


def test_device_secrets_never_appear_in_what_is_sent() -> None:
    (case, _), *_ = _pairs("claim")
    _, claim = _our_claim(case)
    (vcase, vanswer), *_ = _pairs("verifier")
    config = srp.device_verifier(
        vcase["device_group_key"], vcase["device_key"], vanswer["password"], 7
    )
    for value in [*claim.values(), *config.values()]:
        assert case["password"] not in value
        assert vanswer["password"] not in value


def test_unsafe_device_challenge_is_refused() -> None:
    (case, _), *_ = _pairs("claim")
    with pytest.raises(ServiceError, match="unsafe"):
        _our_claim({**case, "srp_b_hex": format(srp.N * 2, "x")})
    with pytest.raises(ValueError, match="device group key"):
        srp.device_claim("", "k", "p", 2, 4, "5", "1", "AA==", datetime.now(timezone.utc))
    with pytest.raises(ValueError, match="device group key"):
        srp.device_verifier("g", "", "p", 1)


# -- live: amazon-cognito-identity-js run now, on fresh values -----------------------------------


def _run_js(cases: list[dict[str, Any]]) -> list[dict[str, str]]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the amazon-cognito-identity-js test")
    if not (JS / "node_modules" / "amazon-cognito-identity-js").is_dir():
        install = subprocess.run(
            [npm, "install", "--prefix", str(JS), "--no-audit", "--no-fund", "--loglevel=error"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        assert install.returncode == 0, install.stderr
    result = subprocess.run(
        [node, str(JS / "device_srp.mjs")],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers: list[dict[str, str]] = json.loads(result.stdout)
    return answers


@pytest.mark.slow
def test_live_amplify_agrees_on_fresh_devices() -> None:
    keys = [(f"-{os.urandom(6).hex()}", f"eu-west-2_{os.urandom(16).hex()}") for _ in range(4)]
    cases: list[dict[str, Any]] = [
        {"kind": "verifier", "device_group_key": g, "device_key": k} for g, k in keys
    ]
    verifiers = _run_js(cases)
    claims = []
    for (group, key), made in zip(keys, verifiers, strict=True):
        assert srp.device_verifier(group, key, made["password"], int(made["salt_hex"], 16)) == {
            "Salt": made["salt_b64"],
            "PasswordVerifier": made["verifier_b64"],
        }
        a, _ = srp.generate_a(os.urandom)
        claims.append(
            {
                "kind": "claim",
                "device_group_key": group,
                "device_key": key,
                "password": made["password"],
                "a_hex": format(a, "x"),
                "srp_b_hex": format(int.from_bytes(os.urandom(384), "big") % srp.N, "x"),
                "salt_hex": made["salt_hex"],
                "secret_block_b64": base64.b64encode(os.urandom(64)).decode(),
                "timestamp": srp.cognito_timestamp(datetime.now(timezone.utc)),
            }
        )
    for case, answer in zip(claims, _run_js(claims), strict=True):
        srp_a, claim = _our_claim(case)
        assert srp_a == answer["srp_a_hex"]
        assert claim["PASSWORD_CLAIM_SIGNATURE"] == answer["signature"]


# -- the stack's server-side SRP accepts our device proof ----------------------------------------


def test_device_proof_verifies_against_the_server_arithmetic() -> None:
    from scribeauth.local import srp_server

    group, key = "-Xy12AbCd", "eu-west-2_" + os.urandom(16).hex()
    password = srp.new_device_password(os.urandom)
    config = srp.device_verifier(group, key, password, srp.new_device_salt(os.urandom))
    verifier = int.from_bytes(base64.b64decode(config["PasswordVerifier"]), "big")
    salt_hex = base64.b64decode(config["Salt"]).hex()
    server = srp_server.ServerExchange(
        verifier=verifier, private_b=int.from_bytes(os.urandom(32), "big")
    )
    a, big_a = srp.generate_a(os.urandom)
    block = base64.b64encode(os.urandom(48)).decode()
    now = datetime.now(timezone.utc)
    claim = srp.device_claim(
        group, key, password, a, big_a, format(server.public_b, "x"), salt_hex, block, now
    )
    session_key = server.session_key(big_a)
    assert session_key is not None
    # The server's message for a device: group key and device key where pool name and user go.
    message = group.encode() + key.encode() + base64.b64decode(block) + claim["TIMESTAMP"].encode()
    expected = base64.b64encode(hmac.new(session_key, message, "sha256").digest()).decode()
    assert claim["PASSWORD_CLAIM_SIGNATURE"] == expected
    wrong = srp.device_claim(
        group, key, password + "x", a, big_a, format(server.public_b, "x"), salt_hex, block, now
    )
    assert wrong["PASSWORD_CLAIM_SIGNATURE"] != expected
