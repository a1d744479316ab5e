"""WSGI entry point (used by `cashloop serve`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cashloop.config.settings")
application = get_wsgi_application()
