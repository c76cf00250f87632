"""The short list cells of core.admin: cut short for the 1280-pixel lists, whole in a tooltip."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from django.test import override_settings

from core.admin import list_date, list_id, list_text


def test_list_text_keeps_a_short_value_and_cuts_a_long_one_with_the_whole_in_its_tooltip():
    assert list_text("Soil moisture", 20) == "Soil moisture"

    cut = list_text("Nitrate leaching from lysimeters <2008 to 2023>", 20)

    assert cut == (
        '<span title="Nitrate leaching from lysimeters &lt;2008 to 2023&gt;">'
        "Nitrate leaching fr…</span>"
    )


@override_settings(TIME_ZONE="Europe/Helsinki")
def test_list_date_shows_the_local_day_on_one_line_and_the_time_in_its_tooltip():
    late = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)  # already 2 March in Helsinki

    assert list_date(late) == '<span class="nowrap" title="2026-03-02 00:30 EET">2026-03-02</span>'
    assert list_date(None) == "—"


def test_list_id_shows_eight_characters_of_a_uuid_and_the_whole_in_its_tooltip():
    value = uuid.UUID("60d35e9b-6428-4fee-a3c8-975e8783afa6")

    assert list_id(value) == f'<span class="nowrap" title="{value}">60d35e9b…</span>'
