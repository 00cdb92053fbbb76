"""People's email preferences, and the one-click unsubscribe link every alert email carries (RFC 8058)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from accounts.models import Organization
from accounts.selectors import organization_list_for_user
from alerts.forms import EmailPreferencesForm
from alerts.selectors_deliveries import email_opt_out_list, monitor_list_for_preferences
from alerts.services.preferences import email_preferences_set, unsubscribe_apply
from alerts.unsubscribe import unsubscribe_token_read


class EmailPreferencesView(LoginRequiredMixin, View):
    """Each organisation of the signed-in person: its alert email to their address on or off, monitors muted."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, forms={})

    def post(self, request: HttpRequest) -> HttpResponse:
        organization = organization_list_for_user(user=request.user).filter(id=request.POST.get("organization")).first()
        if organization is None:
            raise Http404("No such organisation.")
        form = self._form(organization, data=request.POST)
        if not form.is_valid():
            return self._render(request, forms={organization.id: form})
        muted_ids = {int(i) for i in form.cleaned_data["muted_monitors"]}
        email_preferences_set(
            organization=organization,
            email=request.user.email,
            emails_on=form.cleaned_data["emails_on"],
            muted_monitors=[m for m in monitor_list_for_preferences(organization=organization) if m.id in muted_ids],
        )
        messages.success(request, f"Email preferences for “{organization.name}” saved.")
        return redirect("alerts:email-preferences")

    def _form(self, organization: Organization, data: Any = None) -> EmailPreferencesForm:
        monitors = [(m.id, m.name) for m in monitor_list_for_preferences(organization=organization)]
        opt_outs = email_opt_out_list(organization=organization, email=self.request.user.email).filter(event="all")
        initial = {
            "emails_on": not opt_outs.filter(monitor__isnull=True).exists(),
            "muted_monitors": [
                str(i) for i in opt_outs.filter(monitor__isnull=False).values_list("monitor_id", flat=True)
            ],
        }
        return EmailPreferencesForm(data, monitors=monitors, initial=initial, prefix=f"org{organization.id}")

    def _render(self, request: HttpRequest, *, forms: dict[int, EmailPreferencesForm]) -> HttpResponse:
        rows = [
            (organization, forms.get(organization.id) or self._form(organization))
            for organization in organization_list_for_user(user=request.user)
        ]
        return render(request, "alerts/email_preferences.html", {"rows": rows, "email": request.user.email})


# RFC 8058: the mail client POSTs without a session or a CSRF token (GET changes nothing anyway).
@method_decorator(csrf_exempt, name="dispatch")
class UnsubscribeView(View):
    """GET: a confirm page (link scanners GET, they must not unsubscribe anyone). POST: unsubscribe, no login."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        wanted = unsubscribe_token_read(token)
        if wanted is None:
            raise Http404("This unsubscribe link is not valid.")
        organization = Organization.objects.filter(id=wanted.organization_id).first()
        if organization is None:
            raise Http404("This unsubscribe link is not valid.")
        context = {"wanted": wanted, "organization": organization, "done": False}
        return render(request, "alerts/unsubscribe.html", context)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        opt_out = unsubscribe_apply(token=token)
        if opt_out is None:
            raise Http404("This unsubscribe link is not valid.")
        context = {"wanted": opt_out, "organization": opt_out.organization, "done": True}
        return render(request, "alerts/unsubscribe.html", context)
