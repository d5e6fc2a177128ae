"""deploy/prometheus/: the example scrape config and alert rules parse, and every
metric and job an alert names is one that AutoForge serves and the config scrapes."""

from __future__ import annotations

import re

import pytest
import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from conftest import PROJECT_DIR
from sensors.ingest_metrics import IngestMetrics, IngestSnapshot

pytestmark = pytest.mark.django_db

EXAMPLES = PROJECT_DIR / "deploy" / "prometheus"
# PromQL's functions and keywords, and the label names the rules group by.
PROMQL_WORDS = {"sum", "max", "by", "rate", "increase", "job", "reason", "status", "instance"}
PROMQL_WORDS |= {"channel"}


def sample_names(text: str) -> set[str]:
    return {
        sample.name for family in text_string_to_metric_families(text) for sample in family.samples
    }


@pytest.fixture
def served(client) -> set[str]:
    """Every sample name the ingest and the web serve, and Prometheus's own ``up``."""
    ingest = IngestMetrics(lambda: IngestSnapshot(0, 0, 0, 0, 0, False, 0))
    client.get("/api/health")  # a request, so that the request series exist
    web = client.get("/metrics").content.decode()
    ingest_names = sample_names(generate_latest(ingest.registry).decode())
    return ingest_names | sample_names(web) | {"up"}


def rules() -> list[dict]:
    document = yaml.safe_load((EXAMPLES / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_the_scrape_config_loads_the_alerts_and_scrapes_web_and_ingest() -> None:
    config = yaml.safe_load((EXAMPLES / "prometheus.yml").read_text())

    assert config["rule_files"] == ["alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"autoforge-web", "autoforge-ingest"}
    assert all(job["metrics_path"] == "/metrics" for job in jobs.values())
    assert jobs["autoforge-ingest"]["static_configs"][0]["targets"] == ["127.0.0.1:9108"]


def test_the_alerts_cover_ingest_down_no_readings_and_dead_letters() -> None:
    names = {rule["alert"] for rule in rules()}

    assert {"AutoForgeIngestDown", "AutoForgeNoReadingsStored", "AutoForgeDeadLettersRising"} <= (
        names
    )
    for rule in rules():
        assert set(rule) >= {"alert", "expr", "labels", "annotations"}, rule
        assert rule["labels"]["severity"] in {"critical", "warning"}


def test_every_metric_an_alert_names_is_served(served) -> None:
    for rule in rules():
        expression = re.sub(r'"[^"]*"', "", rule["expr"])  # label values are not names
        expression = re.sub(r"\[[^\]]*\]", "", expression)  # nor are ranges
        words = set(re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*", expression)) - PROMQL_WORDS
        assert words, rule["expr"]
        assert words <= served, f"{rule['alert']} names {words - served}"


def test_every_job_an_alert_names_is_scraped() -> None:
    config = yaml.safe_load((EXAMPLES / "prometheus.yml").read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]}

    for rule in rules():
        assert set(re.findall(r'job="([^"]+)"', rule["expr"])) <= jobs, rule["alert"]
