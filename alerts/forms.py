"""Web forms of the alerts app; the rules themselves live in alerts.validators and the services."""

from __future__ import annotations

from django import forms

from alerts.models import Channel


class ChannelForm(forms.Form):
    kind = forms.ChoiceField(choices=Channel.Kind.choices, initial=Channel.Kind.EMAIL)
    name = forms.CharField(max_length=100)
    target = forms.CharField(
        max_length=2048, label="Address or URL", help_text="An email address, or the https:// URL of a webhook."
    )
    secret = forms.CharField(
        max_length=128,
        required=False,
        label="Signing secret",
        help_text="Webhooks only. Leave empty to have one generated (whsec_ followed by base64).",
        # A secret the form rejected is not echoed back into a re-rendered page.
        widget=forms.PasswordInput(render_value=False),
    )
