"""Signals other apps listen to, so that accounts never imports them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a new organisation and its owner's membership are committed to the
# transaction. Arguments: organization, owner. alerts creates the owner's email channel.
organization_created = Signal()

# Sent when an organisation's last member asked to delete their account (inside that transaction).
# Arguments: organization. A receiver stops the organisation's work and returns what it stopped as a
# JSON-able list (monitors returns the ids of the monitors it paused), kept for a restore.
organization_suspended = Signal()

# Sent when that account is restored. Arguments: organization, stopped (what the receiver returned).
organization_resumed = Signal()
