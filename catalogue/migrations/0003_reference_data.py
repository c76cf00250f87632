from django.db import migrations

from catalogue.reference_data import DATA_SPACES, LICENCES, THEME_BASE_URI, THEMES


def load(apps, schema_editor):
    DataSpace = apps.get_model("catalogue", "DataSpace")
    Theme = apps.get_model("catalogue", "Theme")
    Licence = apps.get_model("catalogue", "Licence")
    LicenceVersion = apps.get_model("catalogue", "LicenceVersion")
    for space in DATA_SPACES:
        DataSpace.objects.update_or_create(slug=space["slug"], defaults=space)
    for code, label in THEMES:
        Theme.objects.update_or_create(
            code=code, defaults={"label": label, "uri": THEME_BASE_URI + code}
        )
    for entry in LICENCES:
        fields = {k: v for k, v in entry.items() if k != "text"}
        licence, _ = Licence.objects.update_or_create(identifier=entry["identifier"], defaults=fields)
        if not LicenceVersion.objects.filter(licence=licence).exists():
            LicenceVersion.objects.create(licence=licence, version=1, text=entry["text"])


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0002_search_trigger")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
