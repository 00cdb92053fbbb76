"""The alert rule form: every condition's fields, of which the page shows only the chosen condition's."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Organization
from alerts.models import AlertRule
from alerts.selectors import channel_list_for_organization

# Which fields each condition uses (the template's data-shown-for, and what the view passes on).
CONDITION_FIELDS: dict[str, tuple[str, ...]] = {
    "threshold_ms": (AlertRule.Condition.LATENCY,),
    "window_minutes": (AlertRule.Condition.LATENCY, AlertRule.Condition.UPTIME),
    "slo_percent": (AlertRule.Condition.UPTIME,),
    "min_severity": (AlertRule.Condition.DRIFT,),
    "days_before_expiry": (AlertRule.Condition.TLS_EXPIRY,),
}
COMMON_FIELDS = ("name", "condition", "suppression_minutes", "reminder_hours", "enabled")


class AlertRuleForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, help_text="Optional; shown in the rule list and alerts.")
    condition = forms.ChoiceField(choices=AlertRule.Condition.choices)
    threshold_ms = forms.IntegerField(label="p95 latency above (ms)", required=False, min_value=1, max_value=600_000)
    window_minutes = forms.IntegerField(label="Over the last (minutes)", required=False, min_value=1, max_value=1440)
    slo_percent = forms.DecimalField(
        label="Uptime below (%)", required=False, max_digits=6, decimal_places=3, help_text="For example 99.9."
    )
    min_severity = forms.ChoiceField(
        label="Drift that alerts",
        choices=[("breaking", "Breaking changes only"), ("additive", "Every change (additive too)")],
        required=False,
    )
    days_before_expiry = forms.IntegerField(
        label="Certificate expires within (days)", required=False, min_value=1, max_value=365
    )
    channels = forms.ModelMultipleChoiceField(
        queryset=None,  # type: ignore[arg-type] - set per organisation in __init__
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every enabled channel.",
    )
    suppression_minutes = forms.IntegerField(
        label="Quiet for (minutes) after an alert",
        min_value=0,
        max_value=10_080,
        initial=0,
        help_text="0: no suppression window.",
    )
    reminder_hours = forms.IntegerField(
        label="Remind every (hours)",
        required=False,
        min_value=1,
        max_value=720,
        help_text="While the incident is open and unacknowledged. Empty: no reminders.",
    )
    enabled = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = channel_list_for_organization(organization=organization)  # type: ignore[attr-defined]

    def service_fields(self) -> dict[str, Any]:
        """The cleaned fields the chosen condition uses, for alert_rule_create/update (others keep their defaults)."""
        data = self.cleaned_data
        condition = data["condition"]
        fields = {name: data[name] for name in COMMON_FIELDS}
        fields["name"] = fields["name"] or ""
        for name, conditions in CONDITION_FIELDS.items():
            if condition in conditions:
                value = data.get(name)
                if name == "window_minutes" and value is None:
                    value = 15
                if name == "min_severity" and not value:
                    value = AlertRule.Severity.BREAKING
                fields[name] = value
        fields["channels"] = list(data["channels"])
        return fields

    @staticmethod
    def initial_for(rule: AlertRule) -> dict[str, Any]:
        names = (*COMMON_FIELDS, *CONDITION_FIELDS)
        return {name: getattr(rule, name) for name in names} | {"channels": list(rule.channels.all())}
