"""The fixed users and app clients every local stack starts with.

Three user pools (``eu-west-2_...``):

- the main pool, MFA optional, users sign in by user name or by e-mail alias
  (``AliasAttributes=["email"]``) and choice-based (first factors PASSWORD, EMAIL_OTP, SMS_OTP),
  with four app clients: ``public`` (SRP, password, refresh, USER_AUTH), ``confidential`` (a client
  secret, all flows), ``srp_disabled`` (password and refresh only) and ``rotating`` (refresh-token
  rotation, grace period 0: refresh only with GetTokensFromRefreshToken);
- ``mfa_required_pool``, MFA required, one public client, for gina's MFA_SETUP;
- ``devices_pool``, MFA optional, device tracking "user opt-in" with MFA skipped on remembered
  devices, one public client, for hank.

Every seeded client has ``PreventUserExistenceErrors`` ENABLED (an app client created without it
is LEGACY). Users (passwords are throwaway local demo values; TOTP secrets are random per stack;
codes "sent" by SMS or e-mail: ``stack.codes()``, ``GET /_local/codes``, the console):

=======  ==================================================================
alice    no MFA
bob      TOTP MFA
carol    temporary password -> NEW_PASSWORD_REQUIRED
dave     SMS MFA
erin     EMAIL_OTP MFA
frank    TOTP and SMS -> SELECT_MFA_TYPE
gina     in the MFA-required pool with no MFA -> MFA_SETUP
hank     in the device-tracking pool, TOTP MFA -> NewDeviceMetadata, device SRP
iris     no password: USER_AUTH with an e-mail or SMS code (SELECT_CHALLENGE)
judy     no MFA, on the rotating client -> GetTokensFromRefreshToken
=======  ==================================================================
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from moto.cognitoidp.models import CognitoIdpUser, UserStatus

from scribeauth.local.cognito_rules import new_totp_secret
from scribeauth.local.user_pool import StrictUserPool

ALL_FLOWS = [
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]
HIDE_USERS = {"PreventUserExistenceErrors": "ENABLED"}


@dataclass(frozen=True)
class SeedUser:
    """A user the stack created, with what a test needs to sign in as them.

    Attributes:
        username: the internal user name (``USER_ID_FOR_SRP``).
        password: the password (for carol: the temporary one).
        email: the e-mail address, also a sign-in alias in the main pool.
        totp_secret: base32 TOTP secret when TOTP MFA is set up, else None.
        phone_number: for SMS MFA users.
        user_pool_id: the pool the user lives in.
        client_id: the app client the user signs in with (a public one).
        flow: what signing in as this user exercises (for people reading the user list).
    """

    username: str
    password: str = field(repr=False)
    email: str | None = None
    totp_secret: str | None = field(default=None, repr=False)
    phone_number: str | None = None
    user_pool_id: str = ""
    client_id: str = ""
    flow: str = ""


@dataclass(frozen=True)
class MfaRequiredPool:
    """A further user pool and its public client (gina's MFA-required pool, hank's devices)."""

    user_pool_id: str
    public_client_id: str


@dataclass(frozen=True)
class Seed:
    """The ids of everything seeded, and the users (``seed.users["alice"]``)."""

    region: str
    user_pool_id: str
    public_client_id: str
    confidential_client_id: str
    confidential_client_secret: str = field(repr=False)
    srp_disabled_client_id: str = ""
    identity_pool_id: str = ""
    users: Mapping[str, SeedUser] = field(default_factory=dict)
    mfa_required_pool: MfaRequiredPool = MfaRequiredPool("", "")
    rotating_client_id: str = ""
    devices_pool: MfaRequiredPool = MfaRequiredPool("", "")

    @property
    def provider_name(self) -> str:
        """The identity-pool ``Logins`` key of the main pool."""
        return f"cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"


@dataclass
class UserSnapshot:
    """A user's sign-in state, to put seed users back between tests."""

    user_pool_id: str
    username: str
    password: str | None = field(repr=False)
    status: Any
    enabled: bool
    sms_mfa: bool
    software_token_mfa: bool
    token_verified: bool
    preferred: str | None
    attributes: list[dict[str, Any]]
    totp_secret: str | None = field(repr=False)
    email_mfa: bool


def add_user(
    user_pool: StrictUserPool,
    pool_id: str,
    username: str,
    password: str,
    *,
    email: str | None = None,
    phone_number: str | None = None,
    temporary: bool = False,
) -> CognitoIdpUser:
    """Create a confirmed user (or one with a temporary password) in one of the stack's pools."""
    attributes = []
    if email:
        attributes += [
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ]
    if phone_number:
        attributes += [
            {"Name": "phone_number", "Value": phone_number},
            {"Name": "phone_number_verified", "Value": "true"},
        ]
    user: CognitoIdpUser = user_pool.backend.admin_create_user(
        pool_id, username, "SUPPRESS", password, attributes
    )
    if not temporary:
        user.status = UserStatus.CONFIRMED
    return user


def enable_totp(user_pool: StrictUserPool, pool_id: str, user: CognitoIdpUser) -> str:
    """Give a user a fresh TOTP secret with TOTP MFA enabled; returns the secret."""
    secret = new_totp_secret()
    user_pool.user_state(pool_id, user.username).totp_secret = secret
    user.token_verified = True
    user.software_token_mfa_enabled = True
    return secret


def snapshot(user_pool: StrictUserPool, pool_id: str, username: str) -> UserSnapshot:
    """Record a user's sign-in state."""
    user = user_pool.pool(pool_id).users[username]
    extra = user_pool.user_state(pool_id, username)
    return UserSnapshot(
        user_pool_id=pool_id,
        username=username,
        password=user.password,
        status=user.status,
        enabled=user.enabled,
        sms_mfa=user.sms_mfa_enabled,
        software_token_mfa=user.software_token_mfa_enabled,
        token_verified=user.token_verified,
        preferred=user.preferred_mfa_setting,
        attributes=[dict(a) for a in user.attributes],
        totp_secret=extra.totp_secret,
        email_mfa=extra.email_mfa,
    )


def restore(user_pool: StrictUserPool, snap: UserSnapshot) -> None:
    """Put a user back into a recorded sign-in state."""
    user = user_pool.pool(snap.user_pool_id).users.get(snap.username)
    if user is None:
        return
    user.password = snap.password
    user.status = snap.status
    user.enabled = snap.enabled
    user.sms_mfa_enabled = snap.sms_mfa
    user.software_token_mfa_enabled = snap.software_token_mfa
    user.token_verified = snap.token_verified
    user.preferred_mfa_setting = snap.preferred
    user.attributes = [dict(a) for a in snap.attributes]
    user.attribute_lookup = {a["Name"]: a["Value"] for a in user.attributes}
    extra = user_pool.user_state(snap.user_pool_id, snap.username)
    extra.totp_secret = snap.totp_secret
    extra.pending_totp_secret = None
    extra.email_mfa = snap.email_mfa


def seed_stack(user_pool: StrictUserPool, identity_pool_id: str) -> Seed:
    """Create the pools, clients and users in the stack's moto account."""
    backend = user_pool.backend
    region = user_pool.region
    sms_config = {"SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"}}

    main = backend.create_user_pool(
        "scribe-local",
        {"AliasAttributes": ["email"], "AutoVerifiedAttributes": ["email"]},
    )
    policies = copy.deepcopy(main.extended_config.get("Policies", {}))
    policies["SignInPolicy"] = {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP", "SMS_OTP"]}
    main.extended_config["Policies"] = policies
    backend.set_user_pool_mfa_config(main.id, sms_config, {"Enabled": True}, "OPTIONAL")
    public = backend.create_user_pool_client(
        main.id,
        False,
        {
            "ClientName": "public",
            "ExplicitAuthFlows": [*ALL_FLOWS, "ALLOW_USER_AUTH"],
            **HIDE_USERS,
        },
    )
    confidential = backend.create_user_pool_client(
        main.id,
        True,
        {"ClientName": "confidential", "ExplicitAuthFlows": ALL_FLOWS, **HIDE_USERS},
    )
    srp_disabled = backend.create_user_pool_client(
        main.id,
        False,
        {
            "ClientName": "srp-disabled",
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            **HIDE_USERS,
        },
    )
    rotating = backend.create_user_pool_client(
        main.id,
        False,
        {
            "ClientName": "rotating",
            "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH"],
            "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
            **HIDE_USERS,
        },
    )

    strict = backend.create_user_pool("scribe-local-mfa-required", {})
    backend.set_user_pool_mfa_config(strict.id, None, {"Enabled": True}, "ON")
    strict_client = backend.create_user_pool_client(
        strict.id, False, {"ClientName": "public", "ExplicitAuthFlows": ALL_FLOWS, **HIDE_USERS}
    )

    devices = backend.create_user_pool(
        "scribe-local-devices",
        {
            "DeviceConfiguration": {
                "ChallengeRequiredOnNewDevice": True,
                "DeviceOnlyRememberedOnUserPrompt": True,
            }
        },
    )
    backend.set_user_pool_mfa_config(devices.id, None, {"Enabled": True}, "OPTIONAL")
    devices_client = backend.create_user_pool_client(
        devices.id, False, {"ClientName": "public", "ExplicitAuthFlows": ALL_FLOWS, **HIDE_USERS}
    )

    users: dict[str, SeedUser] = {}

    def make(
        name: str,
        *,
        pool_id: str = main.id,
        client_id: str = public.id,
        phone: str | None = None,
        temporary: bool = False,
        totp: bool = False,
        sms: bool = False,
        email_mfa: bool = False,
        passwordless: bool = False,
        flow: str = "",
    ) -> None:
        password = (
            f"{name.capitalize()}-Temp0rary!" if temporary else f"{name.capitalize()}-Passw0rd!"
        )
        email = f"{name}@example.com"
        user = add_user(
            user_pool, pool_id, name, password, email=email, phone_number=phone, temporary=temporary
        )
        if passwordless:
            user.password = None
            password = ""
        secret = enable_totp(user_pool, pool_id, user) if totp else None
        user.sms_mfa_enabled = sms
        user_pool.user_state(pool_id, name).email_mfa = email_mfa
        users[name] = SeedUser(name, password, email, secret, phone, pool_id, client_id, flow)

    make("alice", flow="SRP sign-in, no MFA")
    make("bob", totp=True, flow="SRP, then SOFTWARE_TOKEN_MFA (TOTP)")
    make("carol", temporary=True, flow="temporary password -> NEW_PASSWORD_REQUIRED")
    make("dave", phone="+447700900004", sms=True, flow="SMS_MFA (code on the console)")
    make("erin", email_mfa=True, flow="EMAIL_OTP MFA (code on the console)")
    make("frank", phone="+447700900006", totp=True, sms=True, flow="SELECT_MFA_TYPE (TOTP, SMS)")
    make(
        "gina",
        pool_id=strict.id,
        client_id=strict_client.id,
        flow="MFA-required pool, no MFA yet -> MFA_SETUP",
    )
    make(
        "hank",
        pool_id=devices.id,
        client_id=devices_client.id,
        totp=True,
        flow="device tracking (opt-in): TOTP once, then device SRP",
    )
    make(
        "iris",
        phone="+447700900009",
        passwordless=True,
        flow="no password: USER_AUTH, EMAIL_OTP or SMS_OTP code",
    )
    make("judy", client_id=rotating.id, flow="rotating client: GetTokensFromRefreshToken")

    return Seed(
        region=region,
        user_pool_id=main.id,
        public_client_id=public.id,
        confidential_client_id=confidential.id,
        confidential_client_secret=confidential.secret,
        srp_disabled_client_id=srp_disabled.id,
        identity_pool_id=identity_pool_id,
        users=MappingProxyType(users),
        mfa_required_pool=MfaRequiredPool(strict.id, strict_client.id),
        rotating_client_id=rotating.id,
        devices_pool=MfaRequiredPool(devices.id, devices_client.id),
    )


def snapshot_configs(user_pool: StrictUserPool) -> dict[str, Any]:
    """The configuration of every pool and app client, to put back between tests."""
    return {
        pool.id: (
            copy.deepcopy(pool.extended_config),
            {cid: copy.deepcopy(c.extended_config) for cid, c in pool.clients.items()},
        )
        for pool in user_pool.backend.user_pools.values()
    }


def restore_configs(user_pool: StrictUserPool, snap: Mapping[str, Any]) -> None:
    """Put pool and app-client configuration back as recorded (clients added since stay)."""
    for pool_id, (pool_config, clients) in snap.items():
        pool = user_pool.backend.user_pools.get(pool_id)
        if pool is None:
            continue
        pool.extended_config = copy.deepcopy(pool_config)
        for client_id, config in clients.items():
            if client_id in pool.clients:
                pool.clients[client_id].extended_config = copy.deepcopy(config)
