"""The example site: a host project using django-workfront-oauth against the local emulator."""

# Loaded with Django, so that @shared_task picks this Celery app.
from .celery import app as celery_app

__all__ = ["celery_app"]
