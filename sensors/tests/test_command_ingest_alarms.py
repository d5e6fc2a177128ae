"""Alarms through the real ingest, broker and database: MQTT events, a restart
mid-duration, offline alarms with two workers, and the signed webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest

from alarms.documents import alarm_document
from alarms.models import Alarm, AlarmNotification, AlarmRule, AlarmRuleState, WebhookAttempt
from alarms.tests.receivers import AlarmSubscriber, WebhookReceiver
from autoforge.tests.prometheus_text import sample_value, scrape
from conftest import free_port
from sensors.models import SensorReading
from sensors.tests.ingest_process import (
    BASE_TIME,
    open_publisher,
    reading_payload,
    start_ingest,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "webhook-test-secret"
PENDING = "autoforge_alarm_notifications_pending"


def hot_reading(seconds: float, temperature: float, device_id: str = "press-1"):
    timestamp = (BASE_TIME + timedelta(seconds=seconds)).isoformat()
    payload = reading_payload(0, device_id=device_id, temperature=temperature, timestamp=timestamp)
    return (f"sensors/{device_id}/data", payload)


def hot_rule(**fields) -> AlarmRule:
    values = {
        "name": "press hot",
        "metric": "temperature",
        "operator": ">",
        "threshold": 80.0,
        "clear_threshold": 70.0,
        "severity": "critical",
    } | fields
    return AlarmRule.objects.create(**values)


@pytest.fixture
def subscriber(mosquitto):
    subscriber = AlarmSubscriber(mosquitto)
    yield subscriber
    subscriber.close()


def test_each_raise_and_clear_is_published_on_the_alarm_topic(
    request, mosquitto, subprocess_env, tmp_path, subscriber
):
    hot_rule()
    start_ingest(request, subprocess_env, tmp_path / "ingest.log")
    publisher = open_publisher(request, mosquitto)

    publisher.publish([hot_reading(0, 85), hot_reading(1, 90)])
    topic, raised, qos, retained = subscriber.next()
    publisher.publish([hot_reading(2, 65)])
    _, cleared, _, _ = subscriber.next()

    alarm = Alarm.objects.get()
    assert (topic, qos, retained) == ("alarms/press-1", 1, False)
    assert raised["status"] == "active"
    assert raised["value"] == 85  # as it was raised; 90 came later
    assert cleared == alarm_document(alarm)
    assert cleared["status"] == "cleared"
    assert cleared["value"] == 90
    wait_until(
        lambda: not AlarmNotification.objects.filter(mqtt_published_at=None).exists(),
        what="every notification marked published",
    )


def test_a_restart_in_the_middle_of_a_pending_duration_neither_loses_nor_repeats_it(
    request, mosquitto, subprocess_env, tmp_path
):
    hot_rule(for_seconds=10)
    log = tmp_path / "ingest.log"
    ingest = start_ingest(request, subprocess_env, log)
    publisher = open_publisher(request, mosquitto)
    publisher.publish([hot_reading(0, 85), hot_reading(5, 86)])
    wait_until(lambda: SensorReading.objects.count() == 2, what="2 readings")
    assert ingest.terminate() == 0, ingest.log()
    assert AlarmRuleState.objects.get().breach_since == BASE_TIME

    start_ingest(request, subprocess_env, log)
    publisher.publish([hot_reading(9, 87)])
    wait_until(lambda: SensorReading.objects.count() == 3, what="3 readings")
    assert not Alarm.objects.exists()
    publisher.publish([hot_reading(10, 88)])

    alarm = wait_until(Alarm.objects.first, what="the alarm")
    assert alarm.started_at == BASE_TIME + timedelta(seconds=10)
    assert Alarm.objects.count() == 1


def test_two_workers_raise_one_offline_alarm_and_the_next_reading_clears_it(
    request, mosquitto, subprocess_env, tmp_path, subscriber
):
    settings = {"MQTT_SHARED_GROUP": "autoforge", "DEVICE_OFFLINE_AFTER_SECONDS": 1}
    for name in ("w1", "w2"):
        log = tmp_path / f"{name}.log"
        start_ingest(request, subprocess_env, log, MQTT_CLIENT_ID=name, **settings)
    publisher = open_publisher(request, mosquitto)
    publisher.publish([hot_reading(0, 20)])

    topic, raised, _, _ = subscriber.next()
    assert (topic, raised["kind"], raised["severity"], raised["rule_id"]) == (
        "alarms/press-1",
        "offline",
        "major",
        None,
    )
    # Both workers look again every 5 s: still one alarm after two more rounds.
    time.sleep(11)
    assert Alarm.objects.filter(kind="offline").count() == 1

    publisher.publish([hot_reading(1, 20)])
    _, cleared, _, _ = subscriber.next()
    assert (cleared["id"], cleared["status"]) == (raised["id"], "cleared")


def test_the_webhook_gets_every_notification_in_order_once_the_receiver_is_up(
    request, mosquitto, subprocess_env, tmp_path
):
    receiver = WebhookReceiver()
    request.addfinalizer(receiver.stop)
    hot_rule()
    start_ingest(
        request,
        subprocess_env,
        tmp_path / "ingest.log",
        ALARM_WEBHOOK_URL=receiver.url,
        ALARM_WEBHOOK_SECRET=SECRET,
        ALARM_WEBHOOK_TIMEOUT_SECONDS=0.5,
        ALARM_WEBHOOK_MAX_BACKOFF_SECONDS=1,
    )
    publisher = open_publisher(request, mosquitto)

    # Down: nothing listens on the port. Readings are stored all the same.
    publisher.publish([hot_reading(0, 85), hot_reading(1, 60), hot_reading(2, 95)])
    wait_until(lambda: AlarmNotification.objects.count() == 3, what="3 notifications")
    wait_until(lambda: WebhookAttempt.objects.count() >= 2, what="2 refused attempts")
    publisher.publish([hot_reading(3 + i, 96) for i in range(100)])
    wait_until(lambda: SensorReading.objects.count() == 103, what="readings stored meanwhile")

    receiver.mode = "slow"
    receiver.start()
    wait_until(lambda: "slow" in [mode for mode, _, _ in receiver.posts], what="a slow answer")
    receiver.mode = "error"
    wait_until(
        lambda: WebhookAttempt.objects.filter(status_code=500).exists(), what="a 500 recorded"
    )
    receiver.mode = "ok"
    wait_until(
        lambda: not AlarmNotification.objects.filter(webhook_delivered_at=None).exists(),
        what="every notification delivered",
    )

    notifications = list(AlarmNotification.objects.order_by("id"))
    answered = [
        (int(headers["x-autoforge-delivery"]), body)
        for mode, headers, body in receiver.posts
        if mode == "ok"
    ]
    assert answered == [(n.id, n.body.encode()) for n in notifications]
    assert [json.loads(body)["status"] for _, body in answered] == ["active", "cleared", "active"]
    for _, headers, body in receiver.posts:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-autoforge-signature"], expected)
    errors = list(WebhookAttempt.objects.values_list("status_code", "error"))
    assert any(code is None and "refused" in error.lower() for code, error in errors)
    assert any(code is None and "timed out" in error.lower() for code, error in errors)
    assert (500, "HTTP 500") in errors
    assert sum(n.webhook_attempts for n in notifications) == len(errors)


def test_the_ingest_metrics_show_notifications_waiting_for_a_dead_webhook(
    request, mosquitto, subprocess_env, tmp_path
):
    port = free_port()
    hot_rule()
    start_ingest(
        request,
        subprocess_env,
        tmp_path / "ingest.log",
        INGEST_METRICS_ADDRESS=f"127.0.0.1:{port}",
        ALARM_WEBHOOK_URL=f"http://127.0.0.1:{free_port()}/closed",
        ALARM_WEBHOOK_SECRET=SECRET,
    )
    publisher = open_publisher(request, mosquitto)
    publisher.publish([hot_reading(0, 85), hot_reading(1, 60)])  # a raise and a clear

    def settled() -> str | None:
        text = scrape(f"http://127.0.0.1:{port}/metrics")
        webhook = sample_value(text, PENDING, channel="webhook")
        mqtt = sample_value(text, PENDING, channel="mqtt")
        return text if (webhook, mqtt) == (2, 0) else None

    wait_until(settled, what="2 notifications waiting for the webhook, none for MQTT")


def test_under_the_shipped_broker_config_the_ingest_may_publish_alarm_events(
    request, secure_mosquitto, secure_subprocess_env, tmp_path
):
    """Mosquitto 2.0 closes a connection whose publish it refuses: the ingest's
    account must be allowed alarms/+, or each alarm would cost it its connection."""
    from devices.broker_admin import BrokerAdmin
    from devices.credentials import device_credentials_issue
    from devices.tests.mqtt_sessions import open_session

    hot_rule()
    log = tmp_path / "ingest.log"
    start_ingest(request, secure_subprocess_env, log)
    admin = BrokerAdmin(
        host=secure_mosquitto.host,
        port=secure_mosquitto.port,
        username=secure_mosquitto.ADMIN[0],
        password=secure_mosquitto.ADMIN[1],
    )
    password = device_credentials_issue(device_id="press-1", broker=admin).password
    device = open_session(request, secure_mosquitto, "press-1", password)
    assert str(device.publish(*hot_reading(0, 90))) == "Success"

    wait_until(
        lambda: AlarmNotification.objects.filter(mqtt_published_at__isnull=False).exists(),
        what="the alarm event acknowledged by the broker",
    )
    assert "Disconnected from the broker" not in log.read_text()
