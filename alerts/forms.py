"""Web forms of the alerts app; the rules themselves live in alerts.channels.<kind> and the services."""

from __future__ import annotations

from typing import Any

from django import forms

from alerts.models import Channel


class ChannelForm(forms.Form):
    kind = forms.ChoiceField(choices=Channel.Kind.choices, initial=Channel.Kind.EMAIL)
    name = forms.CharField(max_length=100)
    target = forms.CharField(
        max_length=2048,
        label="Address, URL or token",
        help_text=(
            "Email: an address. Webhook: an https:// URL. Slack: https://hooks.slack.com/services/…. "
            "Discord: https://discord.com/api/webhooks/…. Teams: https://<tenant>.webhook.office.com/…. "
            "Telegram: the bot token."
        ),
    )
    chat_id = forms.CharField(
        max_length=70, required=False, label="Telegram chat id", help_text="Telegram only: a chat id or @channel."
    )
    secret = forms.CharField(
        max_length=128,
        required=False,
        label="Signing secret",
        help_text="Webhooks only. Leave empty to have one generated (whsec_ followed by base64).",
        # A secret the form rejected is not echoed back into a re-rendered page.
        widget=forms.PasswordInput(render_value=False),
    )

    def service_arguments(self) -> dict[str, Any]:
        """cleaned_data as channel_create takes it: the kind's options go into `config`."""
        data = dict(self.cleaned_data)
        chat_id = data.pop("chat_id", "")
        data["config"] = {"chat_id": chat_id} if data.get("kind") == Channel.Kind.TELEGRAM else {}
        return data


class EmailPreferencesForm(forms.Form):
    """One organisation's alert email for one person: on or off, and monitors muted one by one."""

    emails_on = forms.BooleanField(required=False, label="Email me alerts from this organisation")
    muted_monitors = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Monitors I don't want email about"
    )

    def __init__(self, *args: Any, monitors: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["muted_monitors"].choices = [(str(i), name) for i, name in monitors]
