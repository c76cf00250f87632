"""Every admin list fits a 1280-pixel window with the demo catalogue loaded, for each demo role.

A list fits when the page has no horizontal scrollbar, the table has none in its own box (Django
puts the table in an ``overflow-x: auto`` box, so a too-wide table scrolls there and not on the
page), no cell's content spills out of it, and no cell needs more than ``MAX_CELL_MIN_WIDTH``
pixels however narrow its column: a long title, id, hash or URL wraps or is cut short, and never
holds its column (and so the table) wide open; a value cut short has the whole of it in a
tooltip (a ``title`` attribute). Screenshots go to ``SCREENSHOTS`` for a person to look at.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from access import services as access_services
from accounts.services import api_token_create, partner_client_create
from catalogue.models import Dataset, Publisher
from tests.access.factories import PURPOSE, approved_request
from tests.accounts.factories import PASSWORD
from tests.browser.conftest import fill_sign_in, log_in

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread, so the data must be committed; serialized_rollback
    # puts the migrated reference data and groups back for whichever test comes next.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDTH = 1280
SCREENSHOTS = Path("/tmp/passerelle-admin-layout")
# A third of the table's box at 1280 pixels (the navigation and the filters take the rest).
MAX_CELL_MIN_WIDTH = 210

CATALOGUE_LISTS = {
    "/admin/catalogue/dataset/",
    "/admin/catalogue/publisher/",
    "/admin/catalogue/licence/",
    "/admin/catalogue/dataspace/",
    "/admin/catalogue/theme/",
}
ACCESS_LISTS = {
    "/admin/access/accessrequest/",
    "/admin/access/grant/",
    "/admin/access/accessevent/",
}
# The lists each demo account must at least find on the admin's index page.
EXPECTED_LISTS = {
    "steward": CATALOGUE_LISTS | ACCESS_LISTS,
    "admin": CATALOGUE_LISTS
    | ACCESS_LISTS
    | {
        "/admin/accounts/apitoken/",
        "/admin/accounts/partnerclient/",
        "/admin/auth/user/",
        "/admin/auth/group/",
        "/admin/access/notification/",
        "/admin/axes/accessattempt/",
        "/admin/axes/accesslog/",
        "/admin/axes/accessfailurelog/",
        "/admin/interop/harvestsource/",
        "/admin/interop/harvestrun/",
        "/admin/interop/harvesteddataset/",
        "/admin/delivery/webhookendpoint/",
        "/admin/delivery/webhookdelivery/",
    },
}

# Lists that may be empty for an account on purpose (none since researchers left the admin).
EMPTY_BY_DESIGN: set[tuple[str, str]] = set()

# What makes a list not fit, measured in the page. The table is set to 1px wide for a moment:
# auto table layout then gives every column its narrowest possible width (its min-content).
MEASURE = """() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) {
    problems.push(`page scrolls sideways: ${root.scrollWidth}px in ${window.innerWidth}px`);
  }
  for (const el of document.querySelectorAll('#content *')) {
    const overflow = getComputedStyle(el).overflowX;
    if ((overflow === 'auto' || overflow === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${el.tagName.toLowerCase()}.${el.className} scrolls sideways: `
                    + `${el.scrollWidth}px in ${el.clientWidth}px`);
    }
  }
  const table = document.querySelector('#result_list');
  if (!table) return problems;
  for (const cell of table.querySelectorAll('thead th, tbody td, tbody th')) {
    if (cell.scrollWidth > cell.clientWidth + 1) {
      const text = cell.textContent.trim().slice(0, 60);
      problems.push(`content spills out of ${cell.className} "${text}"`);
    }
  }
  for (const cell of table.querySelectorAll('tbody td, tbody th')) {
    const text = cell.textContent.trim();
    if (text.endsWith('…') && !cell.querySelector('[title]')) {
      problems.push(`"${text}" is cut short without the whole value in a tooltip`);
    }
  }
  table.style.width = '1px';
  const headers = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
  const narrowest = new Map();
  for (const row of table.querySelectorAll('tbody tr')) {
    [...row.children].forEach((cell, column) => {
      const width = Math.round(cell.getBoundingClientRect().width);
      if (width > MAX && !(narrowest.get(column)?.width >= width)) {
        narrowest.set(column, {width, text: cell.textContent.trim().slice(0, 60)});
      }
    });
  }
  for (const [column, {width, text}] of narrowest) {
    problems.push(`column "${headers[column]}" cannot be narrower than ${width}px ("${text}")`);
  }
  table.style.width = '';
  return problems;
}""".replace("MAX", str(MAX_CELL_MIN_WIDTH))


@pytest.fixture
def demo(monkeypatch, sent_tasks, settings):
    """The demo catalogue and accounts, with requests, a grant, audit events, e-mails, API tokens
    and sign-in records, so that no list is empty."""
    settings.AXES_ENABLED = True  # sign-ins are recorded, failed ones too
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    call_command("seed_demo", stdout=io.StringIO())
    users = {user.username: user for user in get_user_model().objects.all()}
    researcher, steward = users["researcher"], users["steward"]
    approved = approved_request(
        researcher,
        steward,
        Dataset.objects.get(slug="jarvimaan-puhekielen-korpus"),
        project_title="Murremuutos: dialect change in the Finnish lake district, 1970 to 2020",
        affiliation="University of Helsinki, Finnish, Finno-Ugrian and Nordic Studies",
    )
    access_services.grant_provision(access_request_id=approved.pk)
    waiting = Dataset.objects.get(slug="federated-hospital-discharge-statistics")
    # Its publisher asks questions, one of them for an ethics letter (demo application form).
    access_services.access_request_apply(
        requester=researcher,
        dataset=waiting,
        purpose=PURPOSE,
        accept_licence=True,
        answers={"ethics-id": "METC-2026-0412", "linkage": False},
        uploads={
            "ethics-letter": SimpleUploadedFile(
                "Approval letter of the medical ethics committee, Leiden University Medical "
                "Center.pdf",
                b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
            )
        },
    )
    access_services.application_form_publish(
        user=steward,
        publisher=Publisher.objects.filter(stewards=steward).first(),
        name="Ethics and data management questions for researchers outside the consortium",
        questions=[{"key": "ethics", "label": "Ethics approval number", "kind": "text"}],
    )
    access_services.decision_policy_create(
        user=steward,
        publisher=Publisher.objects.filter(stewards=steward).first(),
        name="Researchers of partner universities, for projects of at most six months",
        conditions=[
            {"kind": "email_domain", "domains": ["helsinki.fi", "physik.uni-muenchen.de"]},
            {"kind": "max_duration", "days": 180},
        ],
        effect="approve",
        validity_days=180,
    )
    for user in users.values():
        api_token_create(user=user, name="Notebook on the institute's analysis workstation")
    client, _ = partner_client_create(
        name="Research Office of the Technische Universität München (automated submissions)",
        scopes=["catalogue:write", "access:request", "access:decide", "grants:read"],
        publishers=Publisher.objects.filter(stewards=steward),
        research_organisation="Technische Universität München",
    )
    # Its webhook endpoint, with a message that failed every attempt and one still waiting.
    from delivery.models import WebhookDelivery
    from delivery.services import webhooks

    endpoint = webhooks.webhook_endpoint_create(
        client=client,
        url="https://research-office.tum.example/integrations/passerelle/webhooks/v1/receive",
        event_types=["access_request.approved", "grant.provisioned", "grant.revoked"],
        description="Stages approved datasets on the university's analysis cluster",
    ).endpoint
    given_up = webhooks.webhook_endpoint_test(endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=given_up.pk).update(
        status="failed",
        attempts=8,
        response_status=503,
        last_error="HTTP 503: the receiver answered Service Unavailable on every attempt.",
    )
    webhooks.webhook_endpoint_test(endpoint=endpoint)
    # A catalogue harvested nightly, its last run with one record it could not read.
    from interop.models import HarvestedDataset, HarvestRun, HarvestRunStatus, HarvestSource

    source = HarvestSource.objects.create(
        name="Landwirtschaftskammer Niedersachsen open data portal (DCAT-AP, nightly)",
        url="https://opendata.lwk-niedersachsen.example/catalogue.ttl",
        kind="dcat",
        publisher=Publisher.objects.filter(stewards=steward).first(),
        data_space=Dataset.objects.get(slug="jarvimaan-puhekielen-korpus").data_space,
    )
    run = HarvestRun.objects.create(
        source=source,
        finished=timezone.now(),
        status=HarvestRunStatus.SUCCEEDED,
        pages=3,
        created_count=1,
        failed_count=1,
        record_errors=[
            {"identifier": "lwk-2024-017", "message": "No licence we know and no default."}
        ],
    )
    HarvestedDataset.objects.create(
        source=source,
        dataset=Dataset.objects.get(slug="jarvimaan-puhekielen-korpus"),
        remote_identifier="https://opendata.lwk-niedersachsen.example/dataset/lwk-2023-104",
        last_run=run,
    )
    # The researcher signed in once through an institution and set up an authenticator app.
    SocialAccount.objects.create(
        user=researcher,
        provider="myaccessid",
        uid="8f2c7d1e-4b6a-4f0e-9c3d-2a1b0c9d8e7f@myaccessid.org",
        extra_data={"userinfo": {"email": researcher.email, "email_verified": True}},
    )
    Authenticator.objects.create(
        user=researcher, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    return users


# The demo researcher is not staff: researchers work in the workspace, not the admin.
@pytest.mark.parametrize("username", ["steward", "admin"])
def test_every_admin_list_fits_a_1280_pixel_window(page, demo, username):
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    # A failed sign-in first, so that the lists of failed sign-ins have a row.
    page.goto("/admin/login/")
    fill_sign_in(page, f"not-{username}@demo.passerelle.invalid", "mistyped")
    page.wait_for_selector(".errorlist")
    log_in(page, username, "/admin/")
    lists = set(
        page.eval_on_selector_all(
            "#content-main .module th[scope=row] a", "links => links.map(a => a.pathname)"
        )
    )
    assert lists >= EXPECTED_LISTS[username], sorted(EXPECTED_LISTS[username] - lists)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = {}
    for path in sorted(lists):
        page.goto(path)
        assert page.locator("#changelist").count() == 1, path
        if (username, path) not in EMPTY_BY_DESIGN:
            assert page.locator("#result_list tbody tr").count() > 0, f"{path} is empty"
        name = re.sub(r"\W+", "_", path.strip("/"))
        page.screenshot(path=SCREENSHOTS / f"{username}_{name}.png")
        found = page.evaluate(MEASURE)
        if found:
            problems[path] = found

    assert not problems, "\n".join(
        f"{path}:\n  " + "\n  ".join(found) for path, found in problems.items()
    )
