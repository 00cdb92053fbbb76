"""Signals of the checks app; alerts listens (checks never imports alerts)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction that recorded a StatusChange commits. Argument: status_change_id.
# The outbox row is durable either way: a lost signal is picked up by alerts' periodic sweep.
status_change_recorded = Signal()
