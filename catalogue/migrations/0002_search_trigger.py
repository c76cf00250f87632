from django.db import migrations

from core.migration_operations import postgresql_only
from catalogue.search_sql import CREATE_SQL, DROP_SQL


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]

    operations = [
        postgresql_only(CREATE_SQL, DROP_SQL),
    ]
