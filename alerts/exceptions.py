"""Typed errors of the alerts app."""

from __future__ import annotations

from core.exceptions import ApplicationError


class AlertsError(ApplicationError):
    pass


class DeliveryError(AlertsError):
    """A notification could not be delivered.

    `permanent` stops the retries (the receiver rejected the message for good);
    `disable_channel` also turns the channel off (HTTP 410 Gone); `retry_after_seconds`
    is the receiver's Retry-After, if it sent one.
    """

    def __init__(
        self,
        message: str,
        permanent: bool,
        *,
        disable_channel: bool = False,
        retry_after_seconds: float | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.disable_channel = disable_channel
        self.retry_after_seconds = retry_after_seconds
