from django.urls import path

from cashloop.reports import views

urlpatterns = [
    path("reports/aging/", views.aging_page, name="aging_page"),
    path("reports/metrics/", views.metrics_page, name="metrics_page"),
]
