from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "cashloop.web"
    label = "web"
