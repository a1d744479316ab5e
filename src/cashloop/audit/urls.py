"""Audit log page."""

from django.urls import path

from cashloop.audit import views

urlpatterns = [path("audit/", views.audit_log, name="audit_log")]
