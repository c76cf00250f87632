"""System checks that only production registers (imported at the end of its settings module).

They run with ``manage.py check --deploy``, which the web container runs before gunicorn starts.
"""

from __future__ import annotations

from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError

from demo.data import ACCOUNTS, DEMO_EMAIL_DOMAIN

# The demo seeder creates these accounts, always with an e-mail address in this reserved
# (.invalid) domain; a real account with the same username has a real address. (The demo app is
# not installed in production, but its data module says which accounts to look for.)
DEMO_USERNAMES = frozenset(account.username for account in ACCOUNTS)


@register(Tags.security, deploy=True)
def demo_accounts_absent(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Error when the demo accounts, whose passwords are public, exist in this database."""
    from django.contrib.auth import get_user_model

    try:
        usernames = sorted(
            get_user_model()
            .objects.filter(username__in=DEMO_USERNAMES, email__iendswith=f"@{DEMO_EMAIL_DOMAIN}")
            .values_list("username", flat=True)
        )
    except DatabaseError:
        # Not migrated yet, or the database does not answer: nothing can be there to refuse.
        return []
    if not usernames:
        return []
    return [
        Error(
            "demo accounts present in production",
            hint=(
                f"Delete the demo accounts {', '.join(usernames)} (e-mail *@{DEMO_EMAIL_DOMAIN}): "
                "their passwords are published with the demo."
            ),
            id="passerelle.E001",
        )
    ]
