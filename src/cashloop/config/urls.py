"""URL wiring: pages of each app, the admin, the API and its docs, language switching."""

from __future__ import annotations

import importlib

from django.contrib import admin
from django.urls import include, path

from cashloop.config.api import api

PAGE_MODULES = (
    "cashloop.web.urls",
    "cashloop.ledger.urls",
    "cashloop.imports.urls",
    "cashloop.reports.urls",
    "cashloop.audit.urls",
    "cashloop.jobs.urls",
)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

for module_name in PAGE_MODULES:
    try:
        importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise
        continue
    urlpatterns.append(path("", include(module_name)))
