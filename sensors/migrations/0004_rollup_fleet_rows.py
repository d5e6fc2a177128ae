"""Fleet rollup rows (device id "*"): built here from the devices' minute rows.

All-device aggregates read them instead of every device's rows, so the index
on (period, bucket) that served those reads goes.
"""

from django.db import migrations
from django.db.models import Max, Min, Sum

FLEET = "*"
PERIODS = (60, 3600, 86400)
METRICS = ("temperature", "vibration", "gas", "power")


def build_fleet_rows(apps, schema_editor):
    rollup = apps.get_model("sensors", "ReadingRollup")
    aggregations = {"count": Sum("count")}
    for metric in METRICS:
        aggregations[f"{metric}_sum"] = Sum(f"{metric}_sum")
        aggregations[f"{metric}_min"] = Min(f"{metric}_min")
        aggregations[f"{metric}_max"] = Max(f"{metric}_max")
    minutes = (
        rollup.objects.filter(period=60)
        .exclude(device_id=FLEET)
        .values("bucket")
        .annotate(**aggregations)
        .order_by("bucket")
    )
    merged: dict[tuple[int, int], dict] = {}
    for minute in minutes.iterator(chunk_size=10_000):
        for period in PERIODS:
            key = (period, minute["bucket"] - minute["bucket"] % period)
            row = merged.get(key)
            if row is None:
                merged[key] = {name: value for name, value in minute.items() if name != "bucket"}
                continue
            row["count"] += minute["count"]
            for metric in METRICS:
                row[f"{metric}_sum"] += minute[f"{metric}_sum"]
                row[f"{metric}_min"] = min(row[f"{metric}_min"], minute[f"{metric}_min"])
                row[f"{metric}_max"] = max(row[f"{metric}_max"], minute[f"{metric}_max"])
    rollup.objects.bulk_create(
        (
            rollup(period=period, device_id=FLEET, bucket=bucket, **values)
            for (period, bucket), values in sorted(merged.items())
        ),
        batch_size=2000,
    )


def remove_fleet_rows(apps, schema_editor):
    apps.get_model("sensors", "ReadingRollup").objects.filter(device_id=FLEET).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sensors", "0003_readingrollup"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="readingrollup",
            name="reading_rollup_bucket_idx",
        ),
        migrations.RunPython(build_fleet_rows, remove_fleet_rows),
    ]
