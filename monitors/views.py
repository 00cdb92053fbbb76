"""HTML pages for monitors: the dashboard and create / detail / edit / delete.

Reads go through selectors scoped to the request's organisation (another tenant's id is a
404, exactly like a missing one); writes go through monitors.services.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.generic import FormView, TemplateView

from accounts.mixins import PermissionRequiredMixin
from accounts.models import Organization
from accounts.roles import Permission
from accounts.selectors import organization_get_for_request
from accounts.services import actor_for_request
from monitors.forms import MonitorForm
from monitors.kinds import ping_url, target_label
from monitors.models import Monitor
from monitors.panels import dashboard_columns, detail_panels
from monitors.selectors import monitor_get, monitor_list_for_organization
from monitors.services import monitor_create, monitor_delete, monitor_update

logger = logging.getLogger(__name__)


# Which kinds use each group of the monitor form (monitor_form.html; monitor_form.js hides the rest).
KIND_GROUPS = {
    "http": "http",
    "host": "tcp ping dns tls",
    "port": "tcp tls",
    "ping": "ping",
    "dns": "dns",
    "tls": "tls",
    "heartbeat": "heartbeat",
    "schedule": "http tcp ping dns tls",
    "latency": "http tcp ping dns",
    "connect": "http tcp tls",
    "read": "http tls",
}


class RequestOrganization:
    request: HttpRequest

    @cached_property
    def organization(self) -> Organization | None:
        return organization_get_for_request(request=self.request)


class OrganizationMixin(RequestOrganization, PermissionRequiredMixin):
    """The role table (accounts.roles): pages read with VIEW; a page that writes names its permission."""


class MonitorFormPermissionMixin:
    # A form page is only for those who may submit it: a viewer gets 403 on the GET too,
    # so never sees a create, edit or delete form.
    read_permission = Permission.MANAGE_MONITORS
    write_permission = Permission.MANAGE_MONITORS


class MonitorMixin(OrganizationMixin):
    monitor: Monitor

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        # Looked up before the HTTP method is dispatched and before the role is checked: an id
        # that is not this organisation's answers 404 to every method and every role, exactly
        # as a missing one does. Only then may a viewer's write be refused (403).
        monitor = None
        if self.organization is not None:
            monitor = monitor_get(organization=self.organization, monitor_id=kwargs["pk"])
        if monitor is None:
            raise Http404("No such monitor.")
        self.monitor = monitor
        return super().dispatch(request, *args, **kwargs)


class DashboardView(RequestOrganization, LoginRequiredMixin, TemplateView):
    # Read only (a POST is 405), and open to a user who belongs to no organisation (yet):
    # they see an empty dashboard rather than a 404.

    template_name = "monitors/monitor_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        monitors = []
        if self.organization is not None:
            monitors = list(monitor_list_for_organization(organization=self.organization))
        columns = dashboard_columns(monitors)
        context["organization"] = self.organization
        context["rows"] = [
            {"monitor": monitor, "target": target_label(monitor), **columns.get(monitor.id, {})} for monitor in monitors
        ]
        context["state_counts"] = _state_counts(monitors)
        return context


def _state_counts(monitors: list[Monitor]) -> list[tuple[str, int]]:
    counts = Counter(monitor.display_state for monitor in monitors)
    return [(state, counts[state]) for state in Monitor.State.values if state in counts]


class MonitorCreateView(MonitorFormPermissionMixin, OrganizationMixin, FormView):
    template_name = "monitors/monitor_form.html"
    form_class = MonitorForm

    def get_initial(self) -> dict[str, Any]:
        return MonitorForm.initial_for_new()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {"kind_groups": KIND_GROUPS}

    def form_valid(self, form: MonitorForm) -> HttpResponse:
        if self.organization is None:
            raise Http404("No organisation.")
        monitor = monitor_create(
            organization=self.organization, actor=actor_for_request(self.request), **form.monitor_fields()
        )
        messages.success(self.request, f"Monitor “{monitor.name}” created. Its first check runs shortly.")
        return redirect("monitors:monitor-detail", pk=monitor.id)


class MonitorDetailView(MonitorMixin, TemplateView):
    template_name = "monitors/monitor_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["monitor"] = self.monitor
        context["target"] = target_label(self.monitor)
        context["ping_url"] = ping_url(self.monitor) if self.monitor.kind == Monitor.Kind.HEARTBEAT else ""
        context["panels"] = detail_panels(self.monitor)
        return context


class MonitorEditView(MonitorFormPermissionMixin, MonitorMixin, FormView):
    template_name = "monitors/monitor_form.html"
    form_class = MonitorForm

    def get_initial(self) -> dict[str, Any]:
        return MonitorForm.initial_from_monitor(self.monitor)

    def get_form_kwargs(self) -> dict[str, Any]:
        return super().get_form_kwargs() | {"monitor": self.monitor}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["monitor"] = self.monitor
        context["kind_groups"] = KIND_GROUPS
        return context

    def form_valid(self, form: MonitorForm) -> HttpResponse:
        monitor = monitor_update(monitor=self.monitor, actor=actor_for_request(self.request), **form.monitor_fields())
        messages.success(self.request, f"Monitor “{monitor.name}” saved.")
        return redirect("monitors:monitor-detail", pk=monitor.id)


class MonitorDeleteView(MonitorFormPermissionMixin, MonitorMixin, TemplateView):
    template_name = "monitors/monitor_confirm_delete.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["monitor"] = self.monitor
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        name = self.monitor.name
        monitor_delete(monitor=self.monitor, actor=actor_for_request(request))
        messages.success(request, f"Monitor “{name}” deleted.")
        return HttpResponseRedirect(reverse("monitors:dashboard"))
