"""Signals other apps listen to, so that accounts never imports them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a new organisation and its owner's membership are committed to the
# transaction. Arguments: organization, owner. alerts creates the owner's email channel.
organization_created = Signal()
