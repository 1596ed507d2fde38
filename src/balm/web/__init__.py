"""The Django project: settings, URLs, WSGI/ASGI entry points, base templates and the demo."""
