"""The contract-drift fields of the monitor form (HTTP monitors): MonitorForm inherits them."""

from __future__ import annotations

from django import forms

from monitors import validators_contract as rules


class ContractFields(forms.Form):
    track_contract = forms.BooleanField(
        label="Track the response contract",
        required=False,
        help_text="Learn the JSON response's shape and report when fields are removed, retyped or added.",
    )
    contract_baseline_samples = forms.IntegerField(
        label="Learn from (responses)",
        required=False,
        validators=[rules.validate_contract_baseline_samples],
        widget=forms.NumberInput(attrs={"min": rules.MIN_BASELINE_SAMPLES, "max": rules.MAX_BASELINE_SAMPLES}),
        help_text="Successful responses merged into the first baseline (optional and nullable fields).",
    )
    contract_confirmations = forms.IntegerField(
        label="Confirm a change in (responses)",
        required=False,
        validators=[rules.validate_contract_confirmations],
        widget=forms.NumberInput(attrs={"min": rules.MIN_CONFIRMATIONS, "max": rules.MAX_CONFIRMATIONS}),
        help_text="Responses in a row that must show a change before it is reported.",
    )
    contract_ignore_paths = forms.CharField(
        label="Ignore these paths",
        required=False,
        max_length=rules.MAX_IGNORE_PATHS * (rules.MAX_IGNORE_PATH_CHARS + 2),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "$.meta\n$.items[*].debug"}),
        help_text="One per line; a path also ignores everything under it.",
    )
    contract_alert_additive = forms.BooleanField(
        label="Alert on additive changes too",
        required=False,
        help_text="Off: new fields are recorded but do not alert; removed or retyped fields always do.",
    )

    def clean_contract_ignore_paths(self) -> list[str]:
        return rules.parse_ignore_path_lines(self.cleaned_data["contract_ignore_paths"])
