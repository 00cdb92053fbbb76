"""HTML pages for incidents: the filterable list and one incident with its timeline and actions.

Viewers read; members (MANAGE_MONITORS) acknowledge, comment and resolve. Another tenant's
incident id is a 404, like a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from accounts.mixins import PermissionRequiredMixin
from accounts.models import Organization
from accounts.roles import Permission
from accounts.services import actor_for_request
from alerts.mixins import OrganizationObjectMixin
from alerts.models import Incident
from alerts.selectors_incidents import INCIDENT_STATES, incident_get_with_timeline, incident_list_filtered
from alerts.services.incidents import (
    incident_acknowledge,
    incident_comment_add,
    incident_durations,
    incident_resolve_by_hand,
)
from checks.services_heartbeats import humanize_seconds
from monitors.models import Monitor

PAGE_SIZE = 50


class IncidentFilterForm(forms.Form):
    monitor = forms.ModelChoiceField(queryset=None, required=False, empty_label="All monitors")  # type: ignore[arg-type]
    state = forms.ChoiceField(
        choices=[("", "Any state"), *[(s, s.capitalize()) for s in INCIDENT_STATES]], required=False
    )
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Incident.Kind.choices], required=False)
    since = forms.DateField(required=False, label="Opened from", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="Opened until", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["monitor"].queryset = Monitor.objects.filter(organization=organization).order_by("name")  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """The valid filters (a bad one is shown as an error and ignored); dates are whole days, until inclusive."""
        self.is_valid()  # cleaned_data then holds the fields that are valid
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        since, until = data.get("since"), data.get("until")
        return {
            "monitor_id": data["monitor"].id if data.get("monitor") else None,
            "state": data.get("state") or None,
            "kind": data.get("kind") or None,
            "since": datetime.combine(since, time.min, tzinfo=tz) if since else None,
            "until": datetime.combine(until, time.min, tzinfo=tz) + timedelta(days=1) if until else None,
        }


class IncidentListView(PermissionRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = IncidentFilterForm(request.GET or None, organization=self.organization)
        filters = form.filters() if form.is_bound else {}
        incidents = incident_list_filtered(organization=self.organization, **filters)
        page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return render(request, "alerts/incident_list.html", {"form": form, "page": page, "query": query.urlencode()})


class IncidentMixin(OrganizationObjectMixin):
    write_permission = Permission.MANAGE_MONITORS
    object: Incident

    def find_object(self, **kwargs: Any) -> Incident | None:
        return incident_get_with_timeline(organization=self.organization, incident_id=kwargs["incident_id"])

    @property
    def incident(self) -> Incident:
        return self.object


def _detail_context(incident: Incident, **extra: Any) -> dict[str, Any]:
    durations = incident_durations(incident=incident)
    spans = {
        "duration": durations.duration_seconds,
        "to_acknowledge": durations.time_to_acknowledge_seconds,
        "to_resolve": durations.time_to_resolve_seconds,
    }
    return {
        "incident": incident,
        "timeline": list(incident.events.all()),
        "durations": {name: None if value is None else humanize_seconds(value) for name, value in spans.items()},
        "comment_error": "",
        "comment_body": "",
    } | extra


class IncidentDetailView(IncidentMixin, View):
    def get(self, request: HttpRequest, incident_id: int) -> HttpResponse:
        return render(request, "alerts/incident_detail.html", _detail_context(self.incident))


class IncidentActionView(IncidentMixin, View):
    """One button of the incident page: call the service, say how it went, back to the page."""

    service: Callable[..., Incident]
    done_message = ""

    def post(self, request: HttpRequest, incident_id: int) -> HttpResponse:
        try:
            self.service(incident=self.incident, actor=actor_for_request(request))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, self.done_message)
        return redirect("alerts:incident-detail", incident_id=incident_id)


class IncidentAcknowledgeView(IncidentActionView):
    service = staticmethod(incident_acknowledge)
    done_message = "Acknowledged: no more reminders for this incident."


class IncidentResolveView(IncidentActionView):
    service = staticmethod(incident_resolve_by_hand)
    done_message = "Incident resolved."


class IncidentCommentView(IncidentMixin, View):
    def post(self, request: HttpRequest, incident_id: int) -> HttpResponse:
        body = request.POST.get("body", "")
        try:
            incident_comment_add(incident=self.incident, actor=actor_for_request(request), body=body)
        except ValidationError as exc:
            # The page again, with what was typed and why it was refused.
            context = _detail_context(self.incident, comment_error=" ".join(exc.messages), comment_body=body)
            return render(request, "alerts/incident_detail.html", context, status=400)
        return redirect("alerts:incident-detail", incident_id=incident_id)
