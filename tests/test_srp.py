"""Cognito SRP arithmetic: published known answers, an independent re-implementation, edge cases."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from datetime import datetime, timedelta, timezone
from typing import Any

import botocore.exceptions
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scribeauth import srp
from scribeauth.clients import make_client
from scribeauth.errors import ServiceError
from scribeauth.local.stack import LocalStack

# --- Known answers published by another implementation ------------------------------------------
# The fixtures of the cognito-srp-helper test suites (JavaScript and Ruby ports of
# amazon-cognito-identity-js), computed with that code, not ours: password "Qwerty1!" (its hash
# over the USER_ID_FOR_SRP equals their PASSWORD_HASH fixture), a = 0xabcdef0123456789.
KA_POOL_ID = "eu-west-2_eYpv1mFHB"
KA_USER_ID_FOR_SRP = "a2c2e290-6d0f-4a08-a5ca-f0162935f3a6"
KA_PASSWORD = "Qwerty1!"
KA_PASSWORD_HASH = "cd9896b264dc8dca270b0b74b039cf775ea70afb06bd253f5e0ffe7197224aa3"
KA_SMALL_A = 0xABCDEF0123456789
KA_LARGE_A = (
    "362be8c4c29e414549c30c6679ddbb556c27717d80c8feec68257bf5edcd855fbd23590841c1f792dd24a0924"
    "3c00d4fbb8cc8047fbe1c95da7b467d29269d2db462c6268f10ef5a3c23f71865a54bae6e48523e6a7a9b65d115"
    "c66a2f5b4ec5b7384c9796dc6b2d422ea630e1821104ab05cb4a4f292f991d771be4fdba39bc6ff8dce0f0addaa"
    "af172d908d08544d573a2222f1e198caf65f5e6445848ed23b5bbfff0b5bc00ca54b2831a200577220cfe4f5de2"
    "0b66baffbfc8d3a16af6f6a7a590e0764ccdf918daf922df1ed0a695702c9bd63a69b09b4c2fb8a3bffee5f8974"
    "4639607e1920ee006d81f09cba7682e75be5b407fb5cb1f706c0dbf7a9325b5c56ea53333ba1aecab647beae4b2"
    "b44c0912814609560fda8d86e6aff0b2317e339d2d3b422069d8e68fca8a39c43acb360d4285bb2dd076bb58b41"
    "e07be255f349537adaae3bf5260b2c7e066fb77904ebcee5005cc367f926482f9b405952f50e1182049ac49847a"
    "048fca4fbe13c6538eea38132c9bc43c9b05690bb7"
)
KA_SRP_B = (
    "bc071b539bfaa44b26a4f4a917dcc4b90291f3fea737baa555c0dfc792f11849902859dd52976fd7367130d9196"
    "9670e8a0beb66d044641709d7a9ea609e2cc5baac6837e1ee8f8d9ccdce535be1dee59d4c893d9c9a1f06ddacb9"
    "d927e29c0e8bb1b8dda315f297e82c6095570ae3ab28a9110dfc4367296d77898b1d69d029f76e16ffebed59fc5"
    "68548a9fb54a1a462440b19b4e4d89ae414374654788d599d0635f9b8a7a5c6a8556e675c4e01690d5324eecd09"
    "2d269b2be31fa2dc7192cb0bec8a390ca4ce791c8e8cc9ed7258929430a2802a2b9dadd985a004d584e883621ff"
    "3518e223a6dbab5071bc844e4ee7d12f6c29bd9197f0fefcee91020b0903596cf170efd27648eb5de5ab2961032"
    "cf759dbc48dadb6db0dd585bb9c1e9f73bbea67a7ca406e26d4333c63d5339fa8c0f51fc12df554737da39fc780"
    "c0a648e884600f1bf9398cedddaee7d6db6ace4e0007d97f7322d7270dc25c6e6ae000e54b62f8cb868b16e16ea"
    "db4c8c87f3baae1c1b8e59aabb73771e62c0b898"
)
KA_SALT = "baf4431cdaa37c04c0d655a99f5e9b9b"  # high bit set: exercises the "00" padding
KA_SECRET_BLOCK = (
    "gn7F/ENIPPk/KZ7P2xYr4S0pZhCn29Y0nxXBtEPEc8Tt2cqbQpWorIuwSAC0g3fpDW9djD5+b9v30TctMTiVt6xjGaZe"
    "uWzzgAnVrc0l0xROzJItEQM1V96ySkrfFbL4tKuZokrqiszsRkgwnu4SGBz3akVpUD8pZnAg1Ycfc3LLSyQETFTndRHj"
    "S8UFGIovw7wqQfxKNKDC1nY2XYWR1nFuEIvHXb+Tvc76IxNZcaEvl5sAuTjwpVlmfwPSOELXnYxvDxUcFYO3sNguNqah"
    "n6aH4j16ccEZ/Wqoubn7QkomXV3Qdo5khQbw4F9CWFaxCHoRZwFAc8RQ4oGiIHLvuMb/Y/JhGTL3HefSkBXQ+uvoPK7Y"
    "dgY8yn3SejYv4xD8lw+KLTPy1EbCXX9Aq1uwgjzeSygLl7/tkf1C/YzhefXEOfaLk2eNRlAschYunQ7WeIZWBYzW+38+"
    "r4bQpaecj8GcH/ycAOpacfoLB+/q3E/dHsFOFlzetYO6Qll5AXEv4hzJZgNh1/2zK3N8j2JBUjZs2h60Rh8OS+ZcQGa7"
    "ICPfS7XDvSV8U6Xan3j2m0Azz2ara+1I4MYDVj5P4/BneVDh4L+6Dl3EWEAF9UO8Ur1/5seiOVcAQe3TlwN9UWgmOZHI"
    "q/UGU14ofpmZI46WWS3qB+yBPHbWWJ0MMFFtRwCTzFl+2kRGthRR5A+6MSuLCfdcQwqb6FYRZEdgXZzMa6Td0Pog/5TF"
    "qxygkRB0P3Yq4lfOnRKI6cC3+2g8uMsEmOJfzsVrsfi6GTAPrP+lIPpNe12ZquFzPGi9Z68Odj+aNDYChalBpuvJgxWR"
    "2EFuyj2MebKz6Zo/5V/w964aTTYjUt1pPHURLx3MKl7Ns1xF1lklQ1DAOQYNrVWxWJRs4TxipduEq4N02uh9XKWzXxLJ"
    "uHsc1B9e1Dc+1sHs122POq7i/VYoln6LhO30o32lDHOGa56krde0N/+FY7034zB1pqL8VuDd2/8o8XZ+D/ez/1gBwQ2y"
    "1q6CRvvZmNyYBIC8an/Vgb++e5zgx6Cb43o9+PEFc8UEA8QljTgZ2m+kwjia1TSYeyYnKQOIqCKMkZa6IBIwMZ6AHIDS"
    "Wk//IR/UMiq4QGfb5CJFPYOTKSGXEU9dFPYbx+pZmq/Fq7QgFCM/I7M6jKZPwn+T4/RGLEg1YNRwQS/oQI/uu5iF9sIb"
    "tWO5XTRQ8q2ld4s3tEFflYdmELHXrt1UuFaCi82iTJZAgFPeIx9mHPb0U+I7iutfEPogIE5b/2T+qJhIBgeIQUVsJuo+"
    "uLdriFm1c7YwBMBTJWC9R2mL+2x6quavpx7u0zgHrmbDxFx6+nBl0DEZxsY5h8AEDUVhyi2w+7aK9T/uh7Pz3/fH+AwX"
    "fWcA1cBueYYHX0Due6+3hRAHfOokXTbi27+YoS2AKuXDl2EibHedm5lb1Tg18V66dXtGsvpIn/OUWO2FphUGdtCMgZc5"
    "1ahYTiN1m6Qqx+z1DFRM2BLw6HLxb1uT1OmDyucvCXIsMl4vNyyeIdJwstIbQrECxg1Fdow6jHrzKyJw/FKsYGSnyDRk"
    "++1jTt3J46wz16S45XaMSDG8RMH7AKKeAX/lfJ0d247ajB4U8Hei1h1kclX/DAYp7A0KyoCG7Qt9hZGsxhsloT2eYohH"
    "EKshPDs2WU48WtuHwgXydkTABvx3b1ixLp2CEuQiMyy3jZpvDD8WGaqWqbQgnH/yQw=="
)
KA_NOW = datetime(2000, 2, 1, 3, 4, 5, tzinfo=timezone.utc)
KA_TIMESTAMP = "Tue Feb 1 03:04:05 UTC 2000"
KA_SIGNATURE = "RrSiIBQazZkaxHQf34oRro1qjzfEvwdP6/Avltpd34E="
KA_CLIENT_ID = "18u8119jgbpr464n28s1itk2mq"
KA_CLIENT_SECRET = "ps50nb7hd1umdnmlt1xa9nwiscqvdvzy5ijw63vcacd09yihc2b"
KA_SECRET_HASH = "QW3YkSgjkc9VNMtbTkuQflK54A6+9GS8ZiRDj0mSvPI="

# Our own pins, cross-checked by the reference implementation below (a low salt with leading
# zero nibbles, a B whose top byte has no high bit, a non-UTC clock).
PIN_A = 0x1234
PIN_B = "5" * 40
PIN_SALT = "0f0e"
PIN_NOW = datetime(2024, 3, 9, 23, 5, 7, tzinfo=timezone(timedelta(hours=-5)))
PIN_TIMESTAMP = "Sun Mar 10 04:05:07 UTC 2024"
PIN_BLOCK = "AAFibG9jaw=="  # b"\x00\x01block"
PIN_SIGNATURE = "WcoDgOln/UQjHqh4604gpOzuSkvlqu76+1uAgFcQ1P0="


# --- An independent, literal transcription of the reference client (hex strings throughout) ---
N_HEX = format(srp.N, "X")


def ref_pad_hex(hex_string: str) -> str:
    if len(hex_string) % 2 == 1:
        hex_string = "0" + hex_string
    elif hex_string[0] in "89ABCDEFabcdef":
        hex_string = "00" + hex_string
    return hex_string


def ref_hex_hash(hex_string: str) -> str:
    return hashlib.sha256(bytes.fromhex(hex_string)).hexdigest()


def ref_claim(
    pool_id: str,
    user: str,
    password: str,
    a: int,
    b_hex: str,
    salt_hex: str,
    block_b64: str,
    timestamp: str,
) -> str:
    n = int(N_HEX, 16)
    k = int(ref_hex_hash("00" + N_HEX + "02"), 16)
    big_a = pow(2, a, n)
    big_b = int(b_hex, 16)
    u = int(ref_hex_hash(ref_pad_hex(f"{big_a:x}") + ref_pad_hex(f"{big_b:x}")), 16)
    pool = pool_id.split("_")[1]
    up_hash = hashlib.sha256(f"{pool}{user}:{password}".encode()).hexdigest()
    x = int(ref_hex_hash(ref_pad_hex(f"{int(salt_hex, 16):x}") + up_hash), 16)
    s = pow(big_b - k * pow(2, x, n), a + u * x, n)
    prk = hmac.new(
        bytes.fromhex(ref_pad_hex(f"{u:x}")), bytes.fromhex(ref_pad_hex(f"{s:x}")), "sha256"
    )
    key = hmac.new(prk.digest(), b"Caldera Derived Key\x01", "sha256").digest()[:16]
    msg = pool.encode() + user.encode() + base64.b64decode(block_b64) + timestamp.encode()
    return base64.b64encode(hmac.new(key, msg, "sha256").digest()).decode()


def server_view(
    pool_id: str, user: str, password: str, big_a: int, salt_hex: str, b: int
) -> tuple[str, bytes]:
    """What Cognito computes with the verifier: its B, and its session key."""
    n = srp.N
    k = int(ref_hex_hash("00" + N_HEX + "02"), 16)
    pool = pool_id.split("_")[1]
    up_hash = hashlib.sha256(f"{pool}{user}:{password}".encode()).hexdigest()
    x = int(ref_hex_hash(ref_pad_hex(f"{int(salt_hex, 16):x}") + up_hash), 16)
    v = pow(2, x, n)
    big_b = (k * v + pow(2, b, n)) % n
    u = int(ref_hex_hash(ref_pad_hex(f"{big_a:x}") + ref_pad_hex(f"{big_b:x}")), 16)
    s = pow(big_a * pow(v, u, n), b, n)
    prk = hmac.new(
        bytes.fromhex(ref_pad_hex(f"{u:x}")), bytes.fromhex(ref_pad_hex(f"{s:x}")), "sha256"
    )
    return f"{big_b:x}", hmac.new(prk.digest(), b"Caldera Derived Key\x01", "sha256").digest()[:16]


# --- Tests ------------------------------------------------------------------------------------
def test_group_constants() -> None:
    assert srp.N.bit_length() == 3072
    assert srp.G == 2
    assert N_HEX.startswith("FFFFFFFFFFFFFFFFC90FDAA2")
    assert N_HEX.endswith("A93AD2CAFFFFFFFFFFFFFFFF")


def test_published_password_hash_matches_the_user_id_for_srp() -> None:
    pool = KA_POOL_ID.split("_")[1]
    digest = hashlib.sha256(f"{pool}{KA_USER_ID_FOR_SRP}:{KA_PASSWORD}".encode()).hexdigest()
    assert digest == KA_PASSWORD_HASH


def test_known_answer_large_a() -> None:
    a, big_a = srp.generate_a(lambda n: KA_SMALL_A.to_bytes(n, "big"))
    assert a == KA_SMALL_A
    assert srp.srp_a_hex(big_a) == KA_LARGE_A


def test_known_answer_password_claim() -> None:
    big_a = int(KA_LARGE_A, 16)
    claim = srp.password_claim(
        KA_POOL_ID,
        KA_USER_ID_FOR_SRP,
        KA_PASSWORD,
        KA_SMALL_A,
        big_a,
        KA_SRP_B,
        KA_SALT,
        KA_SECRET_BLOCK,
        KA_NOW,
    )
    assert claim == {
        "PASSWORD_CLAIM_SIGNATURE": KA_SIGNATURE,
        "PASSWORD_CLAIM_SECRET_BLOCK": KA_SECRET_BLOCK,
        "TIMESTAMP": KA_TIMESTAMP,
    }


def test_known_answer_wrong_password_gives_another_signature() -> None:
    claim = srp.password_claim(
        KA_POOL_ID,
        KA_USER_ID_FOR_SRP,
        KA_PASSWORD + "x",
        KA_SMALL_A,
        int(KA_LARGE_A, 16),
        KA_SRP_B,
        KA_SALT,
        KA_SECRET_BLOCK,
        KA_NOW,
    )
    assert claim["PASSWORD_CLAIM_SIGNATURE"] != KA_SIGNATURE


def test_known_answer_secret_hash() -> None:
    assert srp.secret_hash(KA_USER_ID_FOR_SRP, KA_CLIENT_ID, KA_CLIENT_SECRET) == KA_SECRET_HASH


def test_reference_implementation_reproduces_the_published_signature() -> None:
    # Guards the test's own reference code, which the property tests below rely on.
    signature = ref_claim(
        KA_POOL_ID,
        KA_USER_ID_FOR_SRP,
        KA_PASSWORD,
        KA_SMALL_A,
        KA_SRP_B,
        KA_SALT,
        KA_SECRET_BLOCK,
        KA_TIMESTAMP,
    )
    assert signature == KA_SIGNATURE


def test_pinned_small_values_agree_with_reference() -> None:
    claim = srp.password_claim(
        "us-east-1_Pool",
        "user",
        "pw",
        PIN_A,
        pow(2, PIN_A, srp.N),
        PIN_B,
        PIN_SALT,
        PIN_BLOCK,
        PIN_NOW,
    )
    assert claim == {
        "PASSWORD_CLAIM_SIGNATURE": PIN_SIGNATURE,
        "PASSWORD_CLAIM_SECRET_BLOCK": PIN_BLOCK,
        "TIMESTAMP": PIN_TIMESTAMP,
    }
    reference = ref_claim(
        "us-east-1_Pool", "user", "pw", PIN_A, PIN_B, PIN_SALT, PIN_BLOCK, PIN_TIMESTAMP
    )
    assert reference == PIN_SIGNATURE


@settings(max_examples=10, deadline=None, database=None)
@given(
    a=st.integers(min_value=2, max_value=srp.N - 1),
    b=st.integers(min_value=2, max_value=srp.N - 1),
    salt=st.binary(min_size=1, max_size=16),
    password=st.text(min_size=1, max_size=20),
    user=st.text(alphabet="abcdef0123456789-@.", min_size=1, max_size=36),
)
def test_client_and_server_derive_the_same_key(
    a: int, b: int, salt: bytes, password: str, user: str
) -> None:
    """A whole SRP exchange in arithmetic: the server, knowing only the verifier, checks us."""
    pool_id = "eu-west-2_TestPool1"
    big_a = pow(srp.G, a, srp.N)
    salt_hex = salt.hex()
    b_hex, server_key = server_view(pool_id, user, password, big_a, salt_hex, b)
    block = base64.b64encode(os.urandom(32)).decode()
    claim = srp.password_claim(pool_id, user, password, a, big_a, b_hex, salt_hex, block, KA_NOW)
    msg = b"TestPool1" + user.encode() + base64.b64decode(block) + KA_TIMESTAMP.encode()
    expected = base64.b64encode(hmac.new(server_key, msg, "sha256").digest()).decode()
    assert claim["PASSWORD_CLAIM_SIGNATURE"] == expected


@pytest.mark.parametrize(
    ("value", "padded"),
    [
        (0x1, "01"),
        (0x7F, "7f"),
        (0x80, "0080"),
        (0xABC, "0abc"),
        (0xFFFF, "00ffff"),
        (0x0102, "0102"),
        (0, "00"),
    ],
)
def test_pad_hex(value: int, padded: str) -> None:
    assert srp.pad_hex(value) == padded


def test_pad_hex_rejects_negative() -> None:
    with pytest.raises(ValueError):
        srp.pad_hex(-1)


@pytest.mark.parametrize(
    ("now", "text"),
    [
        (datetime(2000, 2, 1, 3, 4, 5, tzinfo=timezone.utc), "Tue Feb 1 03:04:05 UTC 2000"),
        (datetime(2023, 12, 31, 23, 59, 59, tzinfo=timezone.utc), "Sun Dec 31 23:59:59 UTC 2023"),
        (datetime(2024, 7, 10, 0, 0, 0, tzinfo=timezone.utc), "Wed Jul 10 00:00:00 UTC 2024"),
        (datetime(2024, 7, 10, 0, 0, 0), "Wed Jul 10 00:00:00 UTC 2024"),  # naive = UTC
        (
            datetime(2024, 7, 10, 1, 30, tzinfo=timezone(timedelta(hours=2))),
            "Tue Jul 9 23:30:00 UTC 2024",
        ),
    ],
)
def test_cognito_timestamp(now: datetime, text: str) -> None:
    assert srp.cognito_timestamp(now) == text


def test_generate_a_uses_128_random_bytes_and_redraws_degenerate_values() -> None:
    draws = [bytes(128), (1).to_bytes(128, "big"), (5).to_bytes(128, "big")]
    sizes: list[int] = []

    def source(n: int) -> bytes:
        sizes.append(n)
        return draws.pop(0)

    a, big_a = srp.generate_a(source)
    assert (a, big_a) == (5, 32)
    assert sizes == [128, 128, 128]


def test_generate_a_gives_up_on_a_broken_random_source() -> None:
    with pytest.raises(ValueError, match="random"):
        srp.generate_a(lambda n: bytes(n))


def test_generate_a_reduces_mod_n() -> None:
    a, big_a = srp.generate_a(lambda n: b"\xff" * n)
    assert 1 < a < srp.N
    assert big_a == pow(2, a, srp.N)


def _claim(**changes: str) -> dict[str, str]:
    args = {
        "srp_b_hex": KA_SRP_B,
        "salt_hex": KA_SALT,
        "secret_block_b64": KA_SECRET_BLOCK,
        "pool_id": KA_POOL_ID,
    }
    args.update(changes)
    return srp.password_claim(
        args["pool_id"],
        KA_USER_ID_FOR_SRP,
        KA_PASSWORD,
        KA_SMALL_A,
        int(KA_LARGE_A, 16),
        args["srp_b_hex"],
        args["salt_hex"],
        args["secret_block_b64"],
        KA_NOW,
    )


@pytest.mark.parametrize("b_hex", ["0", N_HEX, format(srp.N * 3, "x")])
def test_unsafe_b_is_refused(b_hex: str) -> None:
    with pytest.raises(ServiceError, match="unsafe"):
        _claim(srp_b_hex=b_hex)


@pytest.mark.parametrize(
    ("field", "value"),
    [("srp_b_hex", "xyz"), ("salt_hex", "not hex"), ("secret_block_b64", "***")],
)
def test_malformed_challenge_is_a_service_error(field: str, value: str) -> None:
    with pytest.raises(ServiceError) as info:
        _claim(**{field: value})
    assert KA_PASSWORD not in str(info.value)


def test_pool_id_without_name_is_refused() -> None:
    with pytest.raises(ValueError, match="REGION_NAME"):
        _claim(pool_id="eu-west-2")


def test_password_never_appears_in_claim() -> None:
    claim = _claim()
    assert all(KA_PASSWORD not in value for value in claim.values())


# --- a whole exchange with the strict local stack (real HTTP, its own server-side SRP) ---------
def _stack_exchange(
    stack: LocalStack, username: str, password: str, now: datetime | None = None
) -> dict[str, Any]:
    seed = stack.seed
    client = make_client("cognito-idp", seed.region)
    a, big_a = srp.generate_a(os.urandom)
    reply = client.initiate_auth(
        ClientId=seed.public_client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": username, "SRP_A": srp.srp_a_hex(big_a)},
    )
    assert reply["ChallengeName"] == "PASSWORD_VERIFIER"
    params = reply["ChallengeParameters"]
    claim = srp.password_claim(
        seed.user_pool_id,
        params["USER_ID_FOR_SRP"],
        password,
        a,
        big_a,
        params["SRP_B"],
        params["SALT"],
        params["SECRET_BLOCK"],
        now or datetime.fromtimestamp(stack.now(), timezone.utc),
    )
    answer: dict[str, Any] = client.respond_to_auth_challenge(
        ClientId=seed.public_client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses={"USERNAME": params["USER_ID_FOR_SRP"], **claim},
    )
    return answer


def test_round_trip_with_the_local_stack(
    scribe_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", scribe_stack.endpoint_url)
    alice = scribe_stack.seed.users["alice"]
    # Several exchanges: fresh a, b and salt each time, so padding edge cases get a chance.
    for typed in ["alice", "alice@example.com"] * 4:
        reply = _stack_exchange(scribe_stack, typed, alice.password)
        assert reply["AuthenticationResult"]["AccessToken"]
    assert scribe_stack.recorder.count("RespondToAuthChallenge", "PASSWORD_VERIFIER") == 8


def test_stack_refuses_a_wrong_password_or_a_stale_timestamp(
    scribe_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", scribe_stack.endpoint_url)
    alice = scribe_stack.seed.users["alice"]
    with pytest.raises(botocore.exceptions.ClientError, match="NotAuthorized"):
        _stack_exchange(scribe_stack, "alice", alice.password + "x")
    stale = datetime.fromtimestamp(scribe_stack.now(), timezone.utc) - timedelta(hours=1)
    with pytest.raises(botocore.exceptions.ClientError, match="NotAuthorized"):
        _stack_exchange(scribe_stack, "alice", alice.password, now=stale)
