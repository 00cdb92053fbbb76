"""The form that pins a monitor's contract to a JSON Schema or an OpenAPI 3 operation."""

from __future__ import annotations

from typing import Any

from django import forms

from checks.jsonsafe import parse_json_safely

MAX_DOCUMENT_BYTES = 1024 * 1024


class BaselinePinForm(forms.Form):
    source = forms.ChoiceField(
        label="Schema kind",
        choices=[("json_schema", "JSON Schema of the response"), ("openapi", "OpenAPI 3 document + operation")],
        initial="json_schema",
    )
    document = forms.CharField(
        label="Document (JSON)",
        max_length=MAX_DOCUMENT_BYTES,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "class": "mono", "spellcheck": "false"}),
        help_text="Paste the JSON Schema, or the whole OpenAPI document as JSON.",
    )
    path = forms.CharField(
        label="OpenAPI path", max_length=500, required=False, widget=forms.TextInput(attrs={"placeholder": "/orders"})
    )
    method = forms.CharField(label="Method", max_length=10, required=False, initial="get")
    status = forms.CharField(label="Status", max_length=10, required=False, initial="200")

    def clean_document(self) -> dict[str, Any]:
        text = self.cleaned_data["document"]
        parsed = parse_json_safely(text.encode("utf-8", "surrogatepass"), max_bytes=MAX_DOCUMENT_BYTES, max_depth=128)
        if not parsed.ok:
            raise forms.ValidationError(f"Not valid JSON: {parsed.reason}", code="invalid")
        if not isinstance(parsed.value, dict):
            raise forms.ValidationError("The document must be a JSON object.", code="invalid")
        return parsed.value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("source") == "openapi":
            for name in ("path", "method", "status"):
                if not cleaned.get(name):
                    self.add_error(name, "Required for an OpenAPI operation.")
        return cleaned

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Show the service's ValidationError under the field it names (json_schema/openapi: the document)."""
        for field, messages in errors.items():
            name = "document" if field in ("json_schema", "openapi") else field
            self.add_error(name if name in self.fields else None, messages)
