"""Load the demo catalogue: three accounts, eight fictional publishers and about fifty datasets.

Running it again changes nothing: accounts are found by username, publishers and datasets by
slug, distributions by (dataset, title); only what is missing is created. Datasets and their
distributions go through the catalogue services, acting as the demo steward.
"""

from __future__ import annotations

import os
import secrets
from collections import Counter
from datetime import UTC, date, datetime, time
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from access import services as access_services
from catalogue import services
from catalogue.models import Dataset, DataSpace, Distribution, Licence, Publisher, Theme
from demo.data import (
    ACCOUNTS,
    APPLICATION_FORMS,
    DATASETS,
    DEMO_EMAIL_DOMAIN,
    DEMO_FILES_DIR,
    PUBLISHERS,
    DemoAccount,
    DemoDataset,
    DemoPublisher,
)

PUBLISHERS_BY_SLUG = {spec.slug: spec for spec in PUBLISHERS}


def refuse_in_production(command: str) -> None:
    if not settings.DEBUG and (settings.SETTINGS_MODULE or "").endswith("production"):
        raise CommandError(
            f"{command} refuses to run with production settings ({settings.SETTINGS_MODULE}): "
            "it creates demo accounts whose passwords are not secret. Run it against a local or "
            "staging database instead."
        )


class Command(BaseCommand):
    help = (
        "Load a demo catalogue (accounts admin, steward and researcher; fictional publishers; "
        "datasets with files and service endpoints). Safe to run again. The password comes from "
        "DEMO_PASSWORD, or is generated and printed once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_in_production("seed_demo")
        self.verbosity = options["verbosity"]
        if not DataSpace.objects.exists() or not Licence.objects.exists():
            raise CommandError("The reference data is missing: run `manage.py migrate` first.")

        env_password = os.environ.get("DEMO_PASSWORD", "")
        password = env_password or secrets.token_urlsafe(12)
        self.counts: Counter[str] = Counter()

        with transaction.atomic():
            users = {
                spec.username: self._account(spec, password=password, reset=bool(env_password))
                for spec in ACCOUNTS
            }
            steward = users["steward"]
            publishers = {spec.slug: self._publisher(spec, steward=steward) for spec in PUBLISHERS}
            for slug, (name, questions) in APPLICATION_FORMS.items():
                # Publishes a new version only when the questions changed: re-seeding is a no-op.
                access_services.application_form_publish(
                    user=steward, publisher=publishers[slug], questions=questions, name=name
                )

        references = self._references()
        for spec in DATASETS:
            with transaction.atomic():
                self._dataset(spec, steward=steward, publishers=publishers, refs=references)

        self._summary(env_password=bool(env_password), password=password)

    # --- accounts and publishers ----------------------------------------------------------------

    def _account(self, spec: DemoAccount, *, password: str, reset: bool) -> AbstractBaseUser:
        User = get_user_model()
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User(
                username=spec.username,
                email=spec.email,
                first_name=spec.first_name,
                last_name=spec.last_name,
                is_staff=spec.is_staff,
                is_superuser=spec.is_superuser,
                is_active=True,
            )
            user.set_password(password)
            user.save()
            self.counts["accounts created"] += 1
            self.counts["accounts with the new password"] += 1
        else:
            if not user.email.lower().endswith(f"@{DEMO_EMAIL_DOMAIN}"):
                raise CommandError(
                    f"An account named '{spec.username}' exists and is not a demo account (its "
                    f"e-mail is not @{DEMO_EMAIL_DOMAIN}); seed_demo will not take it over. "
                    "Rename or remove it, or use another database."
                )
            wanted = {
                "is_staff": spec.is_staff,
                "is_superuser": spec.is_superuser,
                "is_active": True,
            }
            changed = [field for field, value in wanted.items() if getattr(user, field) != value]
            for field in changed:
                setattr(user, field, wanted[field])
            if reset and not user.check_password(password):
                user.set_password(password)
                changed.append("password")
                self.counts["accounts with the new password"] += 1
            if changed:
                user.save(update_fields=changed)
        self.counts["accounts"] += 1
        # Sign-in goes through allauth, which admits only confirmed addresses: the demo's are
        # in the reserved .invalid domain, so no mail could confirm them.
        EmailAddress.objects.update_or_create(
            user=user, email=spec.email.lower(), defaults={"verified": True, "primary": True}
        )
        if spec.group:
            group, _ = Group.objects.get_or_create(name=spec.group)
            user.groups.add(group)
        return user

    def _publisher(self, spec: DemoPublisher, *, steward: AbstractBaseUser) -> Publisher:
        # There is no publisher service yet; publishers are plain reference rows here.
        publisher, created = Publisher.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "description": spec.description,
                "homepage": spec.homepage,
                "email": spec.email,
                "country": spec.country,
            },
        )
        publisher.stewards.add(steward)
        self.counts["publishers"] += 1
        self.counts["publishers created"] += created
        return publisher

    def _references(self) -> dict[str, dict[str, Any]]:
        refs = {
            "data_space": {s.slug: s for s in DataSpace.objects.all()},
            "licence": {lic.identifier: lic for lic in Licence.objects.all()},
            "theme": {t.code: t for t in Theme.objects.all()},
        }
        wanted = {
            "data_space": {d.data_space for d in DATASETS},
            "licence": {d.licence for d in DATASETS},
            "theme": {code for d in DATASETS for code in d.themes},
        }
        for kind, values in wanted.items():
            missing = values - set(refs[kind])
            if missing:
                raise CommandError(
                    f"Unknown {kind.replace('_', ' ')} {', '.join(sorted(missing))}: is the "
                    "database fully migrated?"
                )
        return refs

    # --- datasets ---------------------------------------------------------------------------------

    def _dataset(
        self,
        spec: DemoDataset,
        *,
        steward: AbstractBaseUser,
        publishers: dict[str, Publisher],
        refs: dict[str, dict[str, Any]],
    ) -> None:
        modified = datetime.combine(date.fromisoformat(spec.modified), time(9, 0), tzinfo=UTC)
        dataset = Dataset.objects.filter(slug=spec.slug).first()
        if dataset is None:
            org = PUBLISHERS_BY_SLUG[spec.publisher]
            start, end = spec.temporal or (None, None)
            dataset = services.dataset_create(
                user=steward,
                data=services.DatasetData(
                    slug=spec.slug,
                    title=spec.title,
                    description=spec.description,
                    publisher=publishers[spec.publisher],
                    data_space=refs["data_space"][spec.data_space],
                    licence=refs["licence"][spec.licence],
                    access_rights=spec.access_rights,
                    themes=tuple(refs["theme"][code] for code in spec.themes),
                    keywords=spec.keywords,
                    languages=spec.languages,
                    spatial=spec.spatial,
                    temporal_start=date.fromisoformat(start) if start else None,
                    temporal_end=date.fromisoformat(end) if end else None,
                    issued=date.fromisoformat(spec.issued),
                    modified=modified,
                    landing_page=f"{org.homepage}/{org.dataset_path}/{spec.slug}",
                    contact_name=org.contact_name,
                    contact_email=org.email,
                    version=spec.version,
                ),
            )
            self.counts["datasets created"] += 1
            if self.verbosity >= 2:
                self.stdout.write(f"  + {spec.slug}")
        self.counts["datasets"] += 1

        existing = set(Distribution.objects.filter(dataset=dataset).values_list("title", flat=True))
        added = 0
        for demo_file in spec.files:
            if demo_file.title not in existing:
                content = (DEMO_FILES_DIR / demo_file.filename).read_bytes()
                services.distribution_add_file(
                    user=steward,
                    dataset=dataset,
                    upload=SimpleUploadedFile(demo_file.filename, content),
                    title=demo_file.title,
                    description=demo_file.description,
                )
                added += 1
        for service in spec.services:
            if service.title not in existing:
                services.distribution_add_service(
                    user=steward,
                    dataset=dataset,
                    title=service.title,
                    access_url=service.access_url,
                    format=service.format,
                    description=service.description,
                )
                added += 1
        if added:
            # Adding a file stamps the dataset as modified now; keep the demo's own date.
            services.dataset_update(user=steward, dataset=dataset, changes={"modified": modified})
        self.counts["distributions"] += len(spec.files) + len(spec.services)
        self.counts["distributions created"] += added

    # --- output -----------------------------------------------------------------------------------

    def _summary(self, *, env_password: bool, password: str) -> None:
        c = self.counts
        spaces = len({d.data_space for d in DATASETS})
        self.stdout.write(
            self.style.SUCCESS("Demo catalogue ready.")
            + f"\n  accounts:      {c['accounts']:>3} ({c['accounts created']} created)"
            f"\n  publishers:    {c['publishers']:>3} ({c['publishers created']} created)"
            f"\n  datasets:      {c['datasets']:>3} ({c['datasets created']} created) "
            f"in {spaces} data spaces"
            f"\n  distributions: {c['distributions']:>3} ({c['distributions created']} created)"
        )
        usernames = ", ".join(a.username for a in ACCOUNTS)
        if env_password:
            if c["accounts with the new password"]:
                self.stdout.write(f"Accounts {usernames}: password set from DEMO_PASSWORD.")
            else:
                self.stdout.write(f"Accounts {usernames}: password already DEMO_PASSWORD.")
        elif c["accounts with the new password"]:
            self.stdout.write(
                f"Accounts {usernames}: password of the new accounts (shown only this once): "
                + self.style.WARNING(password)
            )
            if c["accounts with the new password"] < c["accounts"]:
                self.stdout.write("The accounts that already existed kept their passwords.")
        else:
            self.stdout.write(
                f"Accounts {usernames} already existed and kept their passwords "
                "(set DEMO_PASSWORD and run again to reset them)."
            )
