"""WSGI entry point: ``gunicorn balm.web.wsgi`` or any WSGI server."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balm.web.settings")
application = get_wsgi_application()
