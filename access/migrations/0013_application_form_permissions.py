"""Admin permissions for application forms: stewards define their publishers' forms (which forms
they see is not a permission but application_forms_editable_by()); researchers and stewards see
attachments of the requests they see."""

from django.db import migrations

from core.migration_operations import add_group_permissions

CODENAMES = {
    "Stewards": [
        "view_applicationform",
        "add_applicationform",
        "change_applicationform",
        "view_applicationformversion",
        "view_requestattachment",
    ],
    "Researchers": ["view_requestattachment"],
}


def application_form_permissions(apps, schema_editor):
    add_group_permissions(apps, schema_editor, app_label="access", groups=CODENAMES)


class Migration(migrations.Migration):
    dependencies = [("access", "0012_application_forms_and_attachments")]

    operations = [migrations.RunPython(application_form_permissions, migrations.RunPython.noop)]
