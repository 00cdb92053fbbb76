"""The delivery log: every notification of the organisation, filterable, with "retry" for failed and dead ones."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views import View

from accounts.mixins import PermissionRequiredMixin
from accounts.roles import Permission
from alerts.models import Notification
from alerts.selectors import channel_list_for_organization
from alerts.selectors_deliveries import notification_get, notification_list_for_organization
from alerts.services import notification_resend

PAGE_SIZE = 50
RETRYABLE = (Notification.Status.FAILED, Notification.Status.DEAD)


class DeliveryListView(PermissionRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        status = request.GET.get("status", "")
        status = status if status in Notification.Status.values else ""
        channel_id = request.GET.get("channel", "")
        rows = notification_list_for_organization(
            organization=self.organization,
            status=status or None,
            channel_id=int(channel_id) if channel_id.isdigit() else None,
        )
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            "page": page,
            "deliveries": page.object_list,
            "status": status,
            "channel_id": channel_id if channel_id.isdigit() else "",
            "statuses": Notification.Status.choices,
            "channels": channel_list_for_organization(organization=self.organization),
            "retryable": RETRYABLE,
        }
        return render(request, "alerts/delivery_list.html", context)


class DeliveryRetryView(PermissionRequiredMixin, View):
    write_permission = Permission.MANAGE_CHANNELS

    def post(self, request: HttpRequest, notification_id: int) -> HttpResponseRedirect:
        notification = notification_get(organization=self.organization, notification_id=notification_id)
        if notification is None:
            raise Http404("No such delivery.")
        if notification.status in RETRYABLE:
            notification_resend(notification=notification)
            messages.success(request, f"Delivery {notification.id} queued again (same webhook-id).")
        else:
            messages.error(request, f"Only a failed or dead delivery can be retried, not a {notification.status} one.")
        return redirect("alerts:delivery-list")
