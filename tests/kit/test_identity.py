from __future__ import annotations

import time
import uuid

import jwt
import pytest

from kit.errors import Unauthorized
from kit.identity import Principal, TokenSigner, TokenVerifier

SECRET = "s" * 40


def test_round_trip() -> None:
    who = Principal("key:abc", uuid.uuid4(), frozenset({"campaigns:read"}))
    assert TokenVerifier(SECRET).verify(TokenSigner(SECRET).sign(who)) == who


def test_expired_token_refused() -> None:
    token = TokenSigner(SECRET, ttl_seconds=1).sign(
        Principal("k", uuid.uuid4()), now=time.time() - 120
    )
    with pytest.raises(Unauthorized):
        TokenVerifier(SECRET).verify(token)


def test_other_secret_refused() -> None:
    token = TokenSigner("o" * 40).sign(Principal("k", uuid.uuid4()))
    with pytest.raises(Unauthorized):
        TokenVerifier(SECRET).verify(token)


def test_token_for_another_audience_refused() -> None:
    token = jwt.encode(
        {
            "sub": "k",
            "org": str(uuid.uuid4()),
            "aud": "elsewhere",
            "iss": "fnet-gateway",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        SECRET,
        algorithm="HS256",
    )
    with pytest.raises(Unauthorized):
        TokenVerifier(SECRET).verify(token)


def test_unsigned_token_refused() -> None:
    token = jwt.encode({"sub": "k", "org": str(uuid.uuid4())}, key="", algorithm="none")
    with pytest.raises(Unauthorized):
        TokenVerifier(SECRET).verify(token)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
def test_garbage_refused(token: str) -> None:
    with pytest.raises(Unauthorized):
        TokenVerifier(SECRET).verify(token)
