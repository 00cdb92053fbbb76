"""Typed errors of the accounts app (STYLE R11); the API maps ApplicationError to a 400."""

from __future__ import annotations

from core.exceptions import ApplicationError


class AccountsError(ApplicationError):
    """Base class of the accounts app's domain errors."""


class LastOwnerError(AccountsError):
    """The change would leave an organisation without an owner."""

    def __init__(
        self, message: str = "An organisation must keep at least one owner. Transfer ownership first."
    ) -> None:
        super().__init__(message)


class RoleChangeNotAllowed(AccountsError):
    """The acting role may not make this change (only an owner touches owners)."""

    def __init__(self, message: str = "Only an owner can make someone an owner or change an owner's role.") -> None:
        super().__init__(message)


class InvalidRole(AccountsError):
    def __init__(self, message: str = "That role does not exist or cannot be given this way.") -> None:
        super().__init__(message)


class AlreadyMember(AccountsError):
    def __init__(self, message: str = "This person is already a member of the organisation.") -> None:
        super().__init__(message)


class InvitationError(AccountsError):
    """An invitation link that cannot be used; the message says why."""


class InvitationNotFound(InvitationError):
    def __init__(self) -> None:
        super().__init__("This invitation link is not valid.")


class InvitationExpired(InvitationError):
    def __init__(self) -> None:
        super().__init__("This invitation has expired. Ask for a new one.")


class InvitationRevoked(InvitationError):
    def __init__(self) -> None:
        super().__init__("This invitation was withdrawn. Ask for a new one.")


class InvitationUsed(InvitationError):
    def __init__(self) -> None:
        super().__init__("This invitation has already been used.")


class InvitationEmailMismatch(InvitationError):
    def __init__(self) -> None:
        super().__init__(
            "This invitation was sent to another email address. Log in with that address (verified) to accept it."
        )
