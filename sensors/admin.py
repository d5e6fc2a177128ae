"""Admin: readings, dead letters and ingest workers, all read-only.

The readings table grows to millions of rows, so its change list never
counts it: a bounded count (or the planner's estimate) instead of
``COUNT(*)``, no full-result count, a date drill-down made of index seeks
(``sensors/templatetags/sensors_admin.py``), exact-match search on the
indexed ``device_id``, and sorting only by indexed columns.
"""

from __future__ import annotations

from functools import cached_property

from django.contrib import admin
from django.contrib.admin import ShowFacets
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest

from sensors.models import DeadLetter, IngestWorker, SensorReading


def table_row_estimate(model: type) -> int | None:
    """Rows in ``model``'s table, estimated without a scan; None if unknown."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [model._meta.db_table],
            )
            row = cursor.fetchone()
        if row and row[0] >= 0:  # -1: never vacuumed or analysed
            return row[0]
    # Elsewhere the id range, exact until rows are deleted. Two queries, not
    # one MIN()/MAX() aggregate: SQLite answers that pair with a full scan.
    ids = model._default_manager.values_list("pk", flat=True)
    low, high = ids.order_by("pk").first(), ids.order_by("-pk").first()
    if low is None or high is None:
        return 0
    return high - low + 1


class BoundedCountPaginator(Paginator):
    """A paginator that counts at most ``exact_count_limit`` rows.

    Up to the limit the count is exact. Past it, an unfiltered list uses
    :func:`table_row_estimate` (``count_is_estimate``); a filtered one stops
    at the limit (``count_is_capped``), so its pages end there: narrow the
    list with the date drill-down to reach older rows.
    """

    exact_count_limit = 10_000
    count_is_estimate = False
    count_is_capped = False

    @cached_property
    def count(self) -> int:
        queryset: QuerySet = self.object_list
        # A sliced queryset counts as SELECT COUNT(*) FROM (... LIMIT n).
        bounded = queryset.order_by()[: self.exact_count_limit + 1].count()
        if bounded <= self.exact_count_limit:
            return bounded
        if not queryset.query.has_filters():
            estimate = table_row_estimate(queryset.model)
            if estimate is not None:
                self.count_is_estimate = True
                return max(estimate, bounded)
        self.count_is_capped = True
        return self.exact_count_limit


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows are written by the ingest only; the admin shows them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(SensorReading)
class SensorReadingAdmin(ReadOnlyAdmin):
    list_display = (
        "timestamp",
        "device_id",
        "temperature",
        "vibration",
        "gas",
        "power",
        "created_at",
    )
    list_display_links = ("timestamp",)
    # Exact match: the (device_id, timestamp) index serves it; icontains would scan.
    search_fields = ("device_id__exact",)
    search_help_text = "Exact device id, e.g. press-1"
    # Today / past 7 days / this month / this year: fixed choices, no query to list them.
    list_filter = ("timestamp",)
    date_hierarchy = "timestamp"
    # Newest first through the (timestamp, id) index, backwards.
    ordering = ("-timestamp", "-id")
    sortable_by = ("timestamp",)
    paginator = BoundedCountPaginator
    show_full_result_count = False
    show_facets = ShowFacets.NEVER
    list_per_page = 100


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "topic", "reason", "payload_size")
    search_fields = ("topic", "reason")
    list_filter = ("received_at",)
    ordering = ("-received_at", "-id")


@admin.register(IngestWorker)
class IngestWorkerAdmin(ReadOnlyAdmin):
    """Status rows of the ingest workers; a retired worker's row may be deleted."""

    list_display = (
        "client_id",
        "hostname",
        "pid",
        "connected",
        "last_heartbeat",
        "started_at",
        "received",
        "stored",
        "duplicates",
        "rejected",
    )
    search_fields = ("client_id", "hostname")
    ordering = ("-last_heartbeat",)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("sensors.delete_ingestworker")
