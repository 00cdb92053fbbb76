"""HTML pages for notification channels: list, create (a webhook's secret shown once), delete, test.

Reads go through alerts.selectors scoped to the request's organisation (another tenant's
id is a 404, like a missing one); writes go through alerts.services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from accounts.mixins import PermissionRequiredMixin
from accounts.roles import Permission
from accounts.selectors import request_can
from accounts.services import actor_for_request
from alerts.channels import redact_target
from alerts.forms import ChannelForm
from alerts.models import Channel
from alerts.selectors import channel_get, channel_list_for_organization
from alerts.services import channel_create, channel_delete, channel_send_test


class OrganizationMixin(PermissionRequiredMixin):
    """The role table (accounts.roles): reading needs VIEW, changing channels MANAGE_CHANNELS."""

    write_permission = Permission.MANAGE_CHANNELS


class ChannelMixin(OrganizationMixin):
    channel: Channel

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        # Looked up before the method is dispatched and before the role is checked, so another
        # tenant's id answers 404 to every method and role, never a 405 or 403 that would tell
        # it apart from a missing one.
        channel = channel_get(organization=self.organization, channel_id=kwargs["channel_id"])
        if channel is None:
            raise Http404("No such channel.")
        self.channel = channel
        return super().dispatch(request, *args, **kwargs)


class ChannelListView(OrganizationMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        channels = list(channel_list_for_organization(organization=self.organization))
        if not request_can(request=request, permission=Permission.MANAGE_CHANNELS):
            for channel in channels:
                channel.target = redact_target(channel)  # shown, never saved (WH-08)
        return render(request, "alerts/channel_list.html", {"channels": channels})


class ChannelCreateView(OrganizationMixin, View):
    template_name = "alerts/channel_form.html"
    # The form itself is only for those who may submit it: a viewer gets 403, not a form.
    read_permission = Permission.MANAGE_CHANNELS

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": ChannelForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ChannelForm(request.POST)
        if form.is_valid():
            try:
                channel = channel_create(
                    organization=self.organization, actor=actor_for_request(request), **form.service_arguments()
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                return self._created(request, channel)
        return render(request, self.template_name, {"form": form})

    def _created(self, request: HttpRequest, channel: Channel) -> HttpResponse:
        if channel.kind != Channel.Kind.WEBHOOK:
            messages.success(request, f"Channel “{channel.name}” added.")
            return redirect("alerts:channel-list")
        # The secret is rendered into this response only: never into a flash message
        # (cookie storage) or the session, and never shown again.
        response = render(request, "alerts/channel_created.html", {"channel": channel, "secret": channel.secret})
        response["Cache-Control"] = "no-store"
        return response


def _add_errors(form: ChannelForm, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class ChannelDeleteView(ChannelMixin, View):
    def post(self, request: HttpRequest, channel_id: int) -> HttpResponseRedirect:
        channel = self.channel
        channel_delete(channel=channel, actor=actor_for_request(request))
        messages.success(request, f"Channel “{channel.name}” deleted.")
        return redirect("alerts:channel-list")


class ChannelTestView(ChannelMixin, View):
    def post(self, request: HttpRequest, channel_id: int) -> HttpResponseRedirect:
        channel = self.channel
        result = channel_send_test(channel=channel)
        if result.ok:
            messages.success(request, f"Test message sent to “{channel.name}”.")
        else:
            messages.error(request, f"The test message to “{channel.name}” failed: {result.error}")
        return HttpResponseRedirect(reverse("alerts:channel-list"))
