"""HTML pages of maintenance windows: the list with a create form, edit, delete.

Reads go through monitors.selectors scoped to the request's organisation (another tenant's id
is a 404, like a missing one); writes go through monitors.services_maintenance.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from accounts.mixins import PermissionRequiredMixin
from accounts.roles import Permission
from accounts.services import actor_for_request
from monitors.forms_maintenance import WEEKDAYS, MaintenanceWindowForm
from monitors.maintenance import window_active
from monitors.models import MaintenanceWindow
from monitors.selectors import maintenance_window_get, maintenance_window_list_for_organization
from monitors.services_maintenance import (
    maintenance_window_create,
    maintenance_window_delete,
    maintenance_window_update,
)


class OrganizationMixin(PermissionRequiredMixin):
    """Reading needs VIEW; creating, changing and deleting windows MANAGE_MONITORS."""

    write_permission = Permission.MANAGE_MONITORS


class WindowMixin(OrganizationMixin):
    window: MaintenanceWindow

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        # Looked up before the role check, so another tenant's id is 404 to every method and role.
        window = maintenance_window_get(
            organization=self.organization, maintenance_window_id=kwargs["maintenance_window_id"]
        )
        if window is None:
            raise Http404("No such maintenance window.")
        self.window = window
        return super().dispatch(request, *args, **kwargs)


def _weekly_text(window: MaintenanceWindow) -> str:
    """ "Mon, Wed at 22:00 for 90 min (Europe/Paris)" for a weekly window."""
    if window.recurrence != MaintenanceWindow.Recurrence.WEEKLY or window.start_time is None:
        return ""
    days = ", ".join(dict(WEEKDAYS).get(day, "?") for day in window.weekdays)
    return f"{days} at {window.start_time:%H:%M} for {window.duration_minutes} min ({window.time_zone})"


def _add_errors(form: MaintenanceWindowForm, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class MaintenanceWindowListView(OrganizationMixin, View):
    template_name = "monitors/maintenance_list.html"

    def _render(self, request: HttpRequest, form: MaintenanceWindowForm) -> HttpResponse:
        now = timezone.now()
        windows = []
        for window in maintenance_window_list_for_organization(organization=self.organization):
            window.weekly_text = _weekly_text(window)  # type: ignore[attr-defined]
            windows.append((window, window_active(window, now)))
        return render(request, self.template_name, {"windows": windows, "form": form})

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, MaintenanceWindowForm(organization=self.organization))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = MaintenanceWindowForm(request.POST, organization=self.organization)
        if form.is_valid():
            try:
                window = maintenance_window_create(
                    organization=self.organization, actor=actor_for_request(request), **form.cleaned_data
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, f"Maintenance window “{window.name}” added.")
                return redirect("monitors:maintenance-window-list")
        return self._render(request, form)


class MaintenanceWindowEditView(WindowMixin, View):
    template_name = "monitors/maintenance_form.html"
    # The form itself is only for those who may submit it: a viewer gets 403, not a form.
    read_permission = Permission.MANAGE_MONITORS

    def get(self, request: HttpRequest, maintenance_window_id: int) -> HttpResponse:
        form = MaintenanceWindowForm(
            initial=MaintenanceWindowForm.initial_for(self.window), organization=self.organization
        )
        return render(request, self.template_name, {"form": form, "window": self.window})

    def post(self, request: HttpRequest, maintenance_window_id: int) -> HttpResponse:
        form = MaintenanceWindowForm(request.POST, organization=self.organization)
        if form.is_valid():
            try:
                window = maintenance_window_update(
                    window=self.window, actor=actor_for_request(request), **form.cleaned_data
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, f"Maintenance window “{window.name}” saved.")
                return redirect("monitors:maintenance-window-list")
        return render(request, self.template_name, {"form": form, "window": self.window})


class MaintenanceWindowDeleteView(WindowMixin, View):
    def post(self, request: HttpRequest, maintenance_window_id: int) -> HttpResponseRedirect:
        window = self.window
        maintenance_window_delete(window=window, actor=actor_for_request(request))
        messages.success(request, f"Maintenance window “{window.name}” deleted.")
        return redirect("monitors:maintenance-window-list")
