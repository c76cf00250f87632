"""The Celery app: configured from Django settings (CELERY_*), tasks auto-discovered.

Start a worker with ``celery -A workers worker`` and the scheduler with ``celery -A workers beat``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("passerelle")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each installed app's tasks.py (access, workers...), found from INSTALLED_APPS.
app.autodiscover_tasks()
