"""The strict local Scribe stack: a Cognito user pool, identity pool and API gateway on loopback.

Built on moto's cognito-idp backend, made strict where moto is lax (SRP signatures, SECRET_HASH,
challenges, token revocation), so the library's tests and ``scribeauth demo`` exercise the same
rules real Cognito enforces. Needs the ``local`` extra (moto, werkzeug, joserfc, cryptography).

Usage::

    from scribeauth.local.stack import LocalStack

    with LocalStack() as stack:
        print(stack.endpoint_url, stack.seed.user_pool_id)
"""

from __future__ import annotations
