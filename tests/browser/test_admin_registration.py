"""A steward registers a dataset with a file in the admin, in a real browser, end to end."""

from __future__ import annotations

import hashlib

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread, so the data must be committed; serialized_rollback
    # puts the migrated reference data and groups back for whichever test comes next.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CSV = b"station,week,moisture\nS001,1,0.31\nS002,1,0.27\nS003,1,0.29\n"
SCREENSHOT = "/tmp/admin_registration.png"


def choose_theme(page, label: str) -> None:
    # filter_horizontal: pick in the "available" box, then press the arrow.
    page.select_option("#id_themes_from", label=label)
    page.click("#id_themes_add")


def test_steward_registers_dataset_with_file_in_admin(page, admin_steward, other_dataset):
    log_in(page, admin_steward.username, "/admin/catalogue/dataset/add/")

    publishers = page.locator("#id_publisher option").all_inner_texts()
    assert "Bauer Agrar Institut" in publishers
    assert "Rival Farms" not in publishers

    page.fill("#id_title", "Soil moisture, Bavaria 2024")
    page.fill("#id_description", "Weekly soil moisture at 120 stations across Bavaria.")
    page.select_option("#id_publisher", label="Bauer Agrar Institut")
    page.select_option("#id_data_space", label="Agricultural Data Space")
    page.select_option("#id_licence", label="CC-BY-4.0")
    page.select_option("#id_access_rights", value="PUBLIC")
    choose_theme(page, "Agriculture, fisheries, forestry and food (AGRI)")
    choose_theme(page, "Environment (ENVI)")
    page.fill("#id_keywords", "soil, moisture, Bavaria")
    page.set_input_files(
        "#id_new_distributions-0-file",
        files=[{"name": "moisture-2024.csv", "mimeType": "text/csv", "buffer": CSV}],
    )
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.click("input[name=_save]")

    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")

    response = page.request.get("/api/v1/datasets/soil-moisture-bavaria-2024/")
    assert response.status == 200
    dataset = response.json()
    assert dataset["publisher"]["slug"] == "bauer-agrar"
    assert dataset["access_rights"] == "PUBLIC"
    assert sorted(theme["code"] for theme in dataset["themes"]) == ["AGRI", "ENVI"]
    assert dataset["keywords"] == ["soil", "moisture", "Bavaria"]
    [distribution] = dataset["distributions"]
    assert distribution["format"] == "CSV"
    assert distribution["byte_size"] == len(CSV)
    assert distribution["checksum"] == f"sha256:{hashlib.sha256(CSV).hexdigest()}"

    # The whole catalogue is browsable; "Datasets you steward" narrows it to one's own.
    page.goto("/admin/catalogue/dataset/?stewarded=yes")
    results = page.locator("#result_list")
    expect(results).to_contain_text("Soil moisture, Bavaria 2024")
    expect(results).not_to_contain_text(other_dataset.title)

    # Another publisher's dataset opens read-only: nothing to save.
    page.goto(f"/admin/catalogue/dataset/{other_dataset.pk}/change/")
    expect(page.locator("h1")).to_contain_text("View dataset")
    expect(page.locator("input[name=_save]")).to_have_count(0)
