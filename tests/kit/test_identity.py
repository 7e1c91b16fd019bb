from __future__ import annotations

import time
import uuid

import jwt
import pytest

from kit.errors import Forbidden, Unauthorized
from kit.identity import Authorize, Principal, PrincipalKind, TokenSigner, TokenVerifier

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


def test_kind_and_partner_round_trip() -> None:
    who = Principal(
        "key:ptn",
        uuid.uuid4(),
        frozenset({"partners:read"}),
        kind=PrincipalKind.PARTNER,
        partner_id=uuid.uuid4(),
    )
    assert TokenVerifier(SECRET).verify(TokenSigner(SECRET).sign(who)) == who


def test_a_token_without_a_kind_is_a_foundations() -> None:
    claims = {
        "iss": "fnet-gateway",
        "aud": "fnet-services",
        "sub": "k",
        "org": str(uuid.uuid4()),
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
    }
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    assert TokenVerifier(SECRET).verify(token).kind is PrincipalKind.FOUNDATION


def test_an_unknown_kind_is_refused() -> None:
    claims = {
        "iss": "fnet-gateway",
        "aud": "fnet-services",
        "sub": "k",
        "org": str(uuid.uuid4()),
        "knd": "robot",
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
    }
    with pytest.raises(Unauthorized):
        TokenVerifier(SECRET).verify(jwt.encode(claims, SECRET, algorithm="HS256"))


class TestAuthorize:
    async def test_gives_the_principal_with_the_scope_and_kind(self) -> None:
        who = Principal("k", uuid.uuid4(), frozenset({"campaigns:read"}))
        assert await Authorize("campaigns:read")(who) is who

    async def test_refuses_without_the_scope(self) -> None:
        who = Principal("k", uuid.uuid4(), frozenset({"campaigns:read"}))
        with pytest.raises(Forbidden, match="campaigns:write"):
            await Authorize("campaigns:write")(who)

    async def test_refuses_a_kind_the_route_does_not_serve(self) -> None:
        partner = Principal(
            "k", uuid.uuid4(), frozenset({"partners:read"}), kind=PrincipalKind.PARTNER
        )
        with pytest.raises(Forbidden, match="partner"):
            await Authorize("partners:read")(partner)
        assert await Authorize("partners:read", kinds={PrincipalKind.PARTNER})(partner) is partner
