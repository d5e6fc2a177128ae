"""The readings admin: read-only, searchable, drillable, and never counting the table."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sensors.admin import BoundedCountPaginator
from sensors.models import SensorReading
from sensors.tests.readings_factory import T0, add_reading

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/sensors/sensorreading/"


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_the_changelist_lists_readings_newest_first(admin_client) -> None:
    add_reading("press-1", seconds=0)
    add_reading("lathe-7", seconds=60)

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert [r.device_id for r in response.context["cl"].result_list] == ["lathe-7", "press-1"]
    assert "2 sensor readings" in response.content.decode()


def test_the_changelist_renders_with_no_reading(admin_client) -> None:
    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert "0 sensor readings" in response.content.decode()


def test_search_finds_one_device_by_its_exact_id(admin_client) -> None:
    add_reading("press-1", seconds=0)
    add_reading("press-10", seconds=1)
    add_reading("lathe-7", seconds=2)

    response = admin_client.get(CHANGELIST, {"q": "press-1"})

    assert response.status_code == 200
    assert [r.device_id for r in response.context["cl"].result_list] == ["press-1"]


def drill_down_choices(page: str) -> list[str]:
    """The titles the date drill-down offers, without its "back" link."""
    toplinks = re.search(r'<nav class="toplinks">(.*?)</nav>', page, re.S)
    if toplinks is None:
        return []
    choices = re.sub(r'<a [^>]*class="date-back"[^>]*>.*?</a>', "", toplinks[1], flags=re.S)
    return [
        title.strip() for title in re.findall(r"(?:^|>)([^<>]+)(?:<|$)", choices) if title.strip()
    ]


@pytest.mark.parametrize(
    ("params", "expected_choices"),
    [
        ({}, ["January 29"]),  # every reading in one month: Django starts at its days
        ({"timestamp__year": "2026"}, ["January 2026"]),
        ({"timestamp__year": "2026", "timestamp__month": "1"}, ["January 29"]),
        (
            {"timestamp__year": "2026", "timestamp__month": "1", "timestamp__day": "29"},
            ["January 29"],
        ),
    ],
)
def test_the_date_drill_down_renders_each_level(admin_client, params, expected_choices) -> None:
    add_reading(seconds=0)
    add_reading(seconds=3600)

    response = admin_client.get(CHANGELIST, params)

    assert response.status_code == 200
    assert drill_down_choices(response.content.decode()) == expected_choices
    assert len(response.context["cl"].result_list) == 2


def test_the_date_drill_down_lists_only_years_months_and_days_with_readings(admin_client) -> None:
    add_reading(seconds=0)  # 2026-01-29
    add_reading(seconds=-366 * 86400)  # 2025-01-28
    add_reading(seconds=-(366 + 30) * 86400)  # 2024-12-29

    years = admin_client.get(CHANGELIST).content.decode()
    months = admin_client.get(CHANGELIST, {"timestamp__year": "2025"}).content.decode()
    days = admin_client.get(
        CHANGELIST, {"timestamp__year": "2024", "timestamp__month": "12"}
    ).content.decode()

    assert drill_down_choices(years) == ["2024", "2025", "2026"]
    assert drill_down_choices(months) == ["January 2025"]
    assert drill_down_choices(days) == ["December 29"]


def test_the_changelist_neither_counts_the_table_nor_scans_it_for_dates(admin_client) -> None:
    add_reading(seconds=0)
    add_reading(seconds=-366 * 86400)

    for params in ({}, {"timestamp__year": "2026"}, {"q": "press-1"}):
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(CHANGELIST, params).status_code == 200
        readings_sql = [
            q["sql"].upper()
            for q in queries
            if SensorReading._meta.db_table.upper() in q["sql"].upper()
        ]
        assert readings_sql
        for sql in readings_sql:
            assert "DISTINCT" not in sql
            assert "COUNT(" not in sql or "LIMIT" in sql
            assert not ("MIN(" in sql and "MAX(" in sql)


def test_the_change_view_renders_read_only(admin_client) -> None:
    reading = add_reading(temperature=21.25)

    response = admin_client.get(f"{CHANGELIST}{reading.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "21.25" in page
    assert 'name="_save"' not in page
    assert 'name="temperature"' not in page


def test_adding_is_refused(admin_client) -> None:
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.post(f"{CHANGELIST}add/", {}).status_code == 403


def test_deleting_is_refused(admin_client) -> None:
    reading = add_reading()

    assert admin_client.get(f"{CHANGELIST}{reading.pk}/delete/").status_code == 403
    assert (
        admin_client.post(f"{CHANGELIST}{reading.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert SensorReading.objects.filter(pk=reading.pk).exists()


def test_changing_is_refused(admin_client) -> None:
    reading = add_reading(temperature=20.0)

    response = admin_client.post(f"{CHANGELIST}{reading.pk}/change/", {"temperature": "99"})

    assert response.status_code == 403
    reading.refresh_from_db()
    assert reading.temperature == 20.0


def test_the_bulk_delete_action_is_not_offered(admin_client) -> None:
    add_reading()

    assert "delete_selected" not in admin_client.get(CHANGELIST).content.decode()


def test_an_anonymous_user_is_sent_to_the_login_page(client) -> None:
    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def make_readings(count: int) -> None:
    SensorReading.objects.bulk_create(
        SensorReading(
            device_id=f"press-{i % 3}",
            temperature=1,
            vibration=1,
            gas=1,
            power=1,
            timestamp=T0.replace(microsecond=i),
        )
        for i in range(count)
    )


def test_the_paginator_counts_exactly_below_its_limit() -> None:
    make_readings(12)
    paginator = BoundedCountPaginator(SensorReading.objects.order_by("-timestamp"), 5)
    paginator.exact_count_limit = 20

    assert (paginator.count, paginator.count_is_estimate, paginator.count_is_capped) == (
        12,
        False,
        False,
    )
    assert paginator.num_pages == 3


def test_the_paginator_estimates_an_unfiltered_table_past_its_limit() -> None:
    make_readings(30)
    paginator = BoundedCountPaginator(SensorReading.objects.order_by("-timestamp"), 5)
    paginator.exact_count_limit = 20

    with CaptureQueriesContext(connection) as queries:
        assert paginator.count >= 21
    assert paginator.count_is_estimate
    for query in queries:
        sql = query["sql"].upper()
        # No COUNT(*) of the whole table; no MIN()+MAX() pair, a full scan on SQLite.
        assert "COUNT(" not in sql or "LIMIT" in sql
        assert not ("MIN(" in sql and "MAX(" in sql)


def test_the_paginator_caps_a_filtered_list_at_its_limit() -> None:
    make_readings(90)
    paginator = BoundedCountPaginator(
        SensorReading.objects.filter(device_id="press-1").order_by("-timestamp"), 5
    )
    paginator.exact_count_limit = 20

    assert paginator.count == 20
    assert paginator.count_is_capped


def test_the_changelist_says_more_than_when_the_count_is_capped(admin_client, monkeypatch) -> None:
    monkeypatch.setattr(BoundedCountPaginator, "exact_count_limit", 5)
    make_readings(30)

    page = admin_client.get(CHANGELIST, {"q": "press-1"}).content.decode()

    assert "more than 5 sensor readings" in page
