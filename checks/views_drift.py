"""HTML actions of the Contract section: accept a drift event, pin a schema, learn again."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic import FormView

from accounts.roles import Permission
from accounts.services import actor_for_request
from checks.drift import baseline_pin_json_schema, baseline_pin_openapi, baseline_relearn, drift_accept
from checks.forms_drift import BaselinePinForm
from checks.selectors_drift import drift_event_get_for_monitor
from monitors.views import MonitorMixin


def _back(monitor_id: int) -> HttpResponse:
    return redirect("monitors:monitor-detail", pk=monitor_id)


class DriftAcceptView(MonitorMixin, View):
    """POST: the event's shape becomes the next baseline version (audited)."""

    write_permission = Permission.MANAGE_MONITORS

    def post(self, request: Any, pk: int, event_id: int) -> HttpResponse:
        event = drift_event_get_for_monitor(monitor=self.monitor, event_id=event_id)
        if event is None:
            raise Http404("No such drift event.")
        baseline = drift_accept(event=event, actor=actor_for_request(request))
        messages.success(request, f"Accepted: the contract is now version {baseline.version}.")
        return _back(self.monitor.id)


class BaselineRelearnView(MonitorMixin, View):
    """POST: learn the contract again from the next successful responses."""

    write_permission = Permission.MANAGE_MONITORS

    def post(self, request: Any, pk: int) -> HttpResponse:
        try:
            baseline = baseline_relearn(monitor=self.monitor, actor=actor_for_request(request))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return _back(self.monitor.id)
        messages.success(request, f"Learning the contract again (version {baseline.version}).")
        return _back(self.monitor.id)


class BaselinePinView(MonitorMixin, FormView):
    """Pin the contract to a JSON Schema or an OpenAPI operation; errors keep what was typed."""

    template_name = "checks/drift_pin.html"
    form_class = BaselinePinForm
    read_permission = Permission.MANAGE_MONITORS
    write_permission = Permission.MANAGE_MONITORS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {"monitor": self.monitor}

    def form_valid(self, form: BaselinePinForm) -> HttpResponse:
        values, actor = form.cleaned_data, actor_for_request(self.request)
        try:
            if values["source"] == "openapi":
                baseline = baseline_pin_openapi(
                    monitor=self.monitor,
                    document=values["document"],
                    path=values["path"],
                    method=values["method"],
                    status=values["status"],
                    actor=actor,
                )
            else:
                baseline = baseline_pin_json_schema(monitor=self.monitor, schema=values["document"], actor=actor)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                form.add_service_errors(exc.message_dict)
            else:
                form.add_error(None, exc.messages)
            return self.form_invalid(form)
        messages.success(self.request, f"The contract is pinned: version {baseline.version}.")
        return _back(self.monitor.id)
