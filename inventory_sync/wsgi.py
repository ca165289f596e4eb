"""WSGI entry point (gunicorn inventory_sync.wsgi in production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_sync.settings")

application = get_wsgi_application()
