from __future__ import annotations

from kit.errors import Conflict, Forbidden, NotFound, Problem, Unauthorized, Unprocessable

CHALLENGE = 'Bearer realm="fnet"'


class InvalidCredentials(Unauthorized):
    slug, title = "invalid-credentials", "The address or password is wrong"

    def __init__(self) -> None:
        super().__init__("the address or the password is wrong")


class InvalidAccessToken(Unauthorized):
    slug, title = "invalid-access-token", "The access token is not valid"

    def __init__(self, detail: str = "the access token is malformed, forged or revoked") -> None:
        super().__init__(
            detail, headers={"WWW-Authenticate": f'{CHALLENGE}, error="invalid_token"'}
        )


class InvalidRefreshToken(Unauthorized):
    slug, title = "invalid-refresh-token", "The refresh token is not valid"


class LoginThrottled(Problem):
    status, slug, title = (
        429,
        "login-throttled",
        "Too many failed sign-ins; wait before trying again",
    )

    def __init__(self, retry_after: int, *, locked: bool = False) -> None:
        detail = (
            f"the account is locked after repeated failed sign-ins; try again in {retry_after} s"
            if locked
            else f"too many failed sign-ins; try again in {retry_after} s"
        )
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class ChooseOrganisation(Unprocessable):
    slug, title = "organisation-required", "Say which organisation to sign in to"


class WeakPassword(Unprocessable):
    slug, title = "weak-password", "The password is too weak"


class InvitationNotFound(NotFound):
    slug, title = "invitation-not-found", "Invitation not found"


class InvalidInvitation(Unprocessable):
    slug, title = "invalid-invitation", "The invitation cannot be used"


class AlreadyMember(Conflict):
    slug, title = "already-member", "The person already belongs to the organisation"


class PersonNotFound(NotFound):
    slug, title = "person-not-found", "Person not found"


class EmailTaken(Conflict):
    slug, title = "email-taken", "An account with this address exists"


class NotAdmin(Forbidden):
    slug, title = "admin-required", "Only the organisation's admins may do this"
