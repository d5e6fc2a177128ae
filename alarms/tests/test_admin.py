"""Alarms in the admin: rules saved and deleted through the services, alarms
browsed and acknowledged, notifications shown with their webhook attempts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from alarms.models import Alarm, AlarmNotification, AlarmRule, WebhookAttempt
from alarms.tests.factories import T0, add_alarm, add_rule, user_with

pytestmark = pytest.mark.django_db

RULE_FORM = {
    "name": "Hot press",
    "metric": "temperature",
    "operator": ">",
    "threshold": "80",
    "clear_threshold": "",
    "for_seconds": "0",
    "severity": "critical",
    "device_id": "",
    "enabled": "on",
}


@pytest.fixture
def admin_client_logged_in(client):
    # force_login: django-axes refuses a password login without a request.
    client.force_login(User.objects.create_superuser("admin", password="admin-password"))
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/alarms/alarmrule/",
        "/admin/alarms/alarmrule/?enabled__exact=1&severity__exact=critical&metric__exact=gas",
        "/admin/alarms/alarmrule/?device_id=press-1",
        "/admin/alarms/alarmrule/?device_id__isnull=True",
        "/admin/alarms/alarmrule/add/",
        "/admin/alarms/alarm/",
        "/admin/alarms/alarm/?status__exact=active&severity__exact=major&acknowledged__exact=0",
        "/admin/alarms/alarm/?device_id=press-1&kind__exact=offline",
        "/admin/alarms/alarmnotification/",
        "/admin/alarms/alarmnotification/?event__exact=cleared&webhook_due__exact=1",
    ],
)
def test_the_admin_pages_load(admin_client_logged_in, path):
    rule = add_rule(device_id="press-1")
    add_alarm(rule=rule)
    add_alarm(device_id="press-2")

    response = admin_client_logged_in.get(path)

    assert response.status_code == 200


def test_the_change_pages_load(admin_client_logged_in):
    rule = add_rule()
    alarm = add_alarm(rule=rule)
    notification = AlarmNotification.objects.create(
        alarm=alarm, event="raised", device_id="press-1", body="{}", created_at=T0
    )
    WebhookAttempt.objects.create(
        notification=notification, attempted_at=T0, status_code=503, duration_ms=12
    )
    WebhookAttempt.objects.create(
        notification=notification, attempted_at=T0, error="connection refused"
    )

    rule_page = admin_client_logged_in.get(f"/admin/alarms/alarmrule/{rule.id}/change/")
    alarm_page = admin_client_logged_in.get(f"/admin/alarms/alarm/{alarm.id}/change/")
    notification_page = admin_client_logged_in.get(
        f"/admin/alarms/alarmnotification/{notification.id}/change/"
    )

    assert (rule_page.status_code, alarm_page.status_code) == (200, 200)
    assert notification_page.status_code == 200
    assert b"connection refused" in notification_page.content
    assert b"503" in notification_page.content


def test_adding_a_rule_in_the_admin_stores_it(admin_client_logged_in):
    response = admin_client_logged_in.post("/admin/alarms/alarmrule/add/", RULE_FORM)

    assert response.status_code == 302
    rule = AlarmRule.objects.get()
    assert (rule.name, rule.threshold, rule.device_id, rule.enabled) == (
        "Hot press",
        80.0,
        None,
        True,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("clear_threshold", "85"),
        ("device_id", "press 1"),
        ("for_seconds", "-1"),
        ("for_seconds", str(31 * 86400)),
        ("threshold", "nan"),
        ("threshold", "inf"),
    ],
)
def test_the_admin_form_refuses_a_bad_rule(admin_client_logged_in, field, value):
    response = admin_client_logged_in.post(
        "/admin/alarms/alarmrule/add/", {**RULE_FORM, field: value}
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not AlarmRule.objects.exists()


def test_disabling_a_rule_in_the_admin_clears_its_alarm(admin_client_logged_in):
    rule = add_rule()
    alarm = add_alarm(rule=rule)
    form = {**RULE_FORM}
    del form["enabled"]

    response = admin_client_logged_in.post(f"/admin/alarms/alarmrule/{rule.id}/change/", form)

    assert response.status_code == 302
    alarm.refresh_from_db()
    assert (alarm.status, alarm.active_key) == ("cleared", None)
    assert AlarmNotification.objects.get().event == "cleared"


def test_deleting_a_rule_in_the_admin_clears_its_alarm(admin_client_logged_in):
    rule = add_rule()
    alarm = add_alarm(rule=rule)

    response = admin_client_logged_in.post(
        f"/admin/alarms/alarmrule/{rule.id}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    alarm.refresh_from_db()
    assert (alarm.status, alarm.rule_id, alarm.rule_name) == ("cleared", None, "Hot press")


def test_deleting_rules_in_bulk_clears_their_alarms(admin_client_logged_in):
    rules = [add_rule(name="a"), add_rule(name="b")]
    for rule in rules:
        add_alarm(rule=rule)

    response = admin_client_logged_in.post(
        "/admin/alarms/alarmrule/",
        {"action": "delete_selected", "_selected_action": [r.id for r in rules], "post": "yes"},
    )

    assert response.status_code == 302
    assert not AlarmRule.objects.exists()
    assert set(Alarm.objects.values_list("status", flat=True)) == {"cleared"}
    assert AlarmNotification.objects.count() == 2


def test_the_acknowledge_action_acknowledges_the_selected_alarms(admin_client_logged_in):
    rule = add_rule()
    picked = [add_alarm(rule=rule, device_id="press-1"), add_alarm(rule=rule, device_id="p-2")]
    left = add_alarm(device_id="press-3")

    response = admin_client_logged_in.post(
        "/admin/alarms/alarm/",
        {"action": "acknowledge", "_selected_action": [a.id for a in picked]},
    )

    assert response.status_code == 302
    acknowledged = Alarm.objects.filter(acknowledged=True)
    assert {a.id for a in acknowledged} == {a.id for a in picked}
    assert {a.acknowledged_by.username for a in acknowledged} == {"admin"}
    assert not Alarm.objects.get(id=left.id).acknowledged


def test_the_acknowledge_action_needs_the_permission(client):
    staff = user_with("staff", "view_alarm")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    alarm = add_alarm()

    page = client.get("/admin/alarms/alarm/")
    response = client.post(
        "/admin/alarms/alarm/", {"action": "acknowledge", "_selected_action": [alarm.id]}
    )

    assert page.status_code == 200
    assert b'value="acknowledge"' not in page.content
    assert response.status_code in (200, 302)
    assert not Alarm.objects.get().acknowledged


def test_alarms_and_notifications_cannot_be_written_in_the_admin(admin_client_logged_in):
    alarm = add_alarm()

    assert admin_client_logged_in.get("/admin/alarms/alarm/add/").status_code == 403
    response = admin_client_logged_in.post(
        f"/admin/alarms/alarm/{alarm.id}/change/", {"status": "cleared"}
    )
    assert response.status_code == 403
    assert Alarm.objects.get().status == "active"
    assert admin_client_logged_in.get("/admin/alarms/alarmnotification/add/").status_code == 403
