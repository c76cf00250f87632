"""Two partner requests naming the same new researcher at the same moment make one account."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from access.models import AccessRequest
from catalogue.models import AccessRights
from tests.access.factories import PURPOSE
from tests.access.test_concurrency import run_together
from tests.accounts.factories import partner_api, partner_client
from tests.catalogue.factories import DatasetFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _no_broker(sent_tasks):
    """The commits run their on_commit hooks; keep the tasks off any broker."""


def test_simultaneous_requests_for_a_new_researcher_share_one_account(publisher):
    first = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    second = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    office = partner_client("Office", scopes=("access:request",))
    centre = partner_client("Compute centre", scopes=("access:request",))
    apis = [partner_api(*office), partner_api(*centre)]

    def submit(api, dataset):
        return lambda: (
            api.post(
                "/api/v1/access-requests/",
                {
                    "dataset": str(dataset.pk),
                    "purpose": PURPOSE,
                    "accept_licence": True,
                    "on_behalf_of": {"email": "ada@tum.example", "affiliation": "TU Munich"},
                },
                format="json",
            ).status_code
        )

    results = run_together(submit(apis[0], first), submit(apis[1], second))
    assert results == [201, 201], results
    (researcher,) = get_user_model().objects.filter(email__iexact="ada@tum.example")
    assert AccessRequest.objects.filter(requester=researcher).count() == 2
