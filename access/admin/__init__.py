"""The access app's admin pages; importing the modules registers them."""

from . import datasets, events, forms, grants, notifications, policies, requests  # noqa: F401
