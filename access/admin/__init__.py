"""The access app's admin pages; importing the modules registers them."""

from . import datasets, events, grants, notifications, requests  # noqa: F401
