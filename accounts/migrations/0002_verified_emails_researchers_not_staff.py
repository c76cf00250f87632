"""Self-registration arrives: accounts made before it were made by administrators.

- Their e-mail addresses count as verified (a primary, verified allauth EmailAddress), so they can
  sign in through allauth and request access. Where two accounts share an address, only the
  oldest gets it verified: a verified address belongs to one account.
- Researchers lose the staff flag: they work in the workspace, not the admin. Staff on purpose
  keep it: superusers, stewards of a publisher, members of the Stewards group, and accounts an
  administrator gave permissions of their own.
"""

from django.db import migrations

# Groups whose members use the admin on purpose (catalogue 0004, access 0003 and 0005).
STAFF_GROUPS = ["Stewards"]


def verify_existing_emails(apps, schema_editor):
    User = apps.get_model("auth", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    taken = {
        email.lower()
        for email in EmailAddress.objects.filter(verified=True).values_list("email", flat=True)
    }
    for user in User.objects.exclude(email="").order_by("pk").iterator():
        email = user.email.strip().lower()
        if not email:
            continue
        verified = email not in taken
        address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
        has_primary = EmailAddress.objects.filter(user=user, primary=True).exists()
        if address is None:
            EmailAddress.objects.create(
                user=user, email=email, verified=verified, primary=not has_primary
            )
        elif verified and not address.verified:
            address.verified = True
            address.save(update_fields=["verified"])
        if verified:
            taken.add(email)


def researchers_not_staff(apps, schema_editor):
    User = apps.get_model("auth", "User")
    (
        User.objects.filter(is_staff=True, is_superuser=False)
        .exclude(stewarded_publishers__isnull=False)
        .exclude(groups__name__in=STAFF_GROUPS)
        .exclude(user_permissions__isnull=False)
        .update(is_staff=False)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("catalogue", "0004_steward_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    # Reversing changes nothing: who was a researcher with the staff flag is not recorded, and
    # verified addresses stay verified.
    operations = [
        migrations.RunPython(verify_existing_emails, migrations.RunPython.noop),
        migrations.RunPython(researchers_not_staff, migrations.RunPython.noop),
    ]
