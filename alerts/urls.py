"""Web pages of the alerts app, mounted at the site root by config/urls.py."""

from __future__ import annotations

from django.urls import path

from alerts import views

app_name = "alerts"

urlpatterns = [
    path("channels/", views.ChannelListView.as_view(), name="channel-list"),
    path("channels/new/", views.ChannelCreateView.as_view(), name="channel-create"),
    path("channels/<int:channel_id>/delete/", views.ChannelDeleteView.as_view(), name="channel-delete"),
    path("channels/<int:channel_id>/test/", views.ChannelTestView.as_view(), name="channel-test"),
]
