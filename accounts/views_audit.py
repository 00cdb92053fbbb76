"""HTML page of the audit log: who did what in the organisation (admins and owners)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from accounts.roles import Permission
from accounts.selectors_organizations import audit_action_list_for_organization, audit_event_list_filtered
from accounts.views_organizations import OrganizationPageMixin


class AuditEventListView(OrganizationPageMixin, View):
    """Who did what, newest first, 50 a page; `?action=` filters. Admins and owners only."""

    read_permission = Permission.VIEW_AUDIT
    template_name = "accounts/audit_event_list.html"
    page_size = 50

    def get(self, request: HttpRequest) -> HttpResponse:
        action = request.GET.get("action", "")[:64]
        events = audit_event_list_filtered(organization=self.organization, action=action)
        page = Paginator(events, self.page_size).get_page(request.GET.get("page"))
        context = {
            "organization": self.organization,
            "page_obj": page,
            "events": page.object_list,
            "action": action,
            "actions": audit_action_list_for_organization(organization=self.organization),
        }
        return render(request, self.template_name, context)
