"""HTML pages for alert rules: the organisation's defaults and each monitor's own rules.

Reads go through selectors scoped to the request's organisation (another tenant's id is 404);
writes go through alerts.services.rules. Changing rules needs MANAGE_CHANNELS, like channels.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from accounts.mixins import PermissionRequiredMixin
from accounts.roles import Permission
from accounts.services import actor_for_request
from alerts.forms_rules import CONDITION_FIELDS, AlertRuleForm
from alerts.mixins import OrganizationObjectMixin
from alerts.models import AlertRule
from alerts.selectors_incidents import alert_rule_get, alert_rule_list_for_organization
from alerts.services.rules import alert_rule_create, alert_rule_delete, alert_rule_update
from monitors.models import Monitor


class RulesMixin(PermissionRequiredMixin):
    write_permission = Permission.MANAGE_CHANNELS

    def monitor_from_query(self, request: HttpRequest) -> Monitor | None:
        """The ?monitor=<id> of the organisation, None without one; another tenant's id is 404."""
        raw = request.GET.get("monitor") or request.POST.get("monitor") or ""
        if not raw:
            return None
        if not raw.isdigit():
            raise Http404("No such monitor.")
        monitor = Monitor.objects.filter(organization=self.organization, id=int(raw)).first()
        if monitor is None:
            raise Http404("No such monitor.")
        return monitor


class RuleItemMixin(OrganizationObjectMixin, RulesMixin):
    object: AlertRule

    def find_object(self, **kwargs: Any) -> AlertRule | None:
        return alert_rule_get(organization=self.organization, rule_id=kwargs["rule_id"])

    @property
    def rule(self) -> AlertRule:
        return self.object


def _list_url(monitor: Monitor | None) -> str:
    url = reverse("alerts:rule-list")
    return f"{url}?monitor={monitor.id}" if monitor else url


def _add_errors(form: AlertRuleForm, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _form_context(form: AlertRuleForm, monitor: Monitor | None, rule: AlertRule | None = None) -> dict[str, Any]:
    groups = {name: " ".join(conditions) for name, conditions in CONDITION_FIELDS.items()}
    # The "When" box itself: only for conditions that have a field in it.
    groups["when"] = " ".join(sorted({c for conditions in CONDITION_FIELDS.values() for c in conditions}))
    return {"form": form, "monitor": monitor, "rule": rule, "condition_groups": groups}


class RuleListView(RulesMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        monitor = self.monitor_from_query(request)
        defaults = alert_rule_list_for_organization(organization=self.organization, defaults_only=True)
        context: dict[str, Any] = {"monitor": monitor, "defaults": defaults}
        if monitor is not None:
            context["own"] = alert_rule_list_for_organization(organization=self.organization, monitor=monitor)
            context["overridden"] = {rule.condition for rule in context["own"] if rule.enabled}
        else:
            context["overrides"] = alert_rule_list_for_organization(organization=self.organization).exclude(
                monitor=None
            )
        return render(request, "alerts/rule_list.html", context)


class RuleCreateView(RulesMixin, View):
    read_permission = Permission.MANAGE_CHANNELS  # the form is only for those who may submit it

    def get(self, request: HttpRequest) -> HttpResponse:
        monitor = self.monitor_from_query(request)
        form = AlertRuleForm(organization=self.organization, initial={"enabled": True, "window_minutes": 15})
        return render(request, "alerts/rule_form.html", _form_context(form, monitor))

    def post(self, request: HttpRequest) -> HttpResponse:
        monitor = self.monitor_from_query(request)
        form = AlertRuleForm(request.POST, organization=self.organization)
        if form.is_valid():
            try:
                alert_rule_create(
                    organization=self.organization,
                    monitor=monitor,
                    actor=actor_for_request(request),
                    **form.service_fields(),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, "Alert rule added.")
                return redirect(_list_url(monitor))
        return render(request, "alerts/rule_form.html", _form_context(form, monitor))


class RuleEditView(RuleItemMixin, View):
    read_permission = Permission.MANAGE_CHANNELS

    def get(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        form = AlertRuleForm(organization=self.organization, initial=AlertRuleForm.initial_for(self.rule))
        return render(request, "alerts/rule_form.html", _form_context(form, self.rule.monitor, self.rule))

    def post(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        form = AlertRuleForm(request.POST, organization=self.organization)
        if form.is_valid():
            try:
                alert_rule_update(rule=self.rule, actor=actor_for_request(request), **form.service_fields())
            except ValidationError as exc:
                _add_errors(form, exc)
                self.rule.refresh_from_db()
            else:
                messages.success(request, "Alert rule saved.")
                return redirect(_list_url(self.rule.monitor))
        return render(request, "alerts/rule_form.html", _form_context(form, self.rule.monitor, self.rule))


class RuleDeleteView(RuleItemMixin, View):
    def post(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        monitor = self.rule.monitor
        alert_rule_delete(rule=self.rule, actor=actor_for_request(request))
        messages.success(request, "Alert rule deleted.")
        return redirect(_list_url(monitor))
