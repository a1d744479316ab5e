"""Import page URLs: the page, its htmx preview and its confirmation."""

from django.urls import path

from cashloop.imports import views

urlpatterns = [
    path("import/", views.import_page, name="import_page"),
    path("import/preview/", views.import_preview, name="import_preview"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
]
