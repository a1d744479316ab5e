from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "cashloop.reports"
    label = "reports"
