"""The dashboard in a real browser (headless chromium) against a real server,
database, broker and ingest: it lists the devices, grows live, draws charts,
sends commands for those allowed, and loads nothing from elsewhere.

Readings come through the broker and the real ``mqtt_ingest`` (a subprocess
on the same test database as the web server), as in production.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission, User
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from alarms.models import AlarmRule
from control.models import Command
from devices.models import Device
from sensors.tests.ingest_process import open_publisher, start_ingest, wait_until

WAIT = 10  # seconds
#: Within this a stored reading is on the page: less than the page's poll (10 s),
#: so only the stream can have brought it.
LIVE = 5


def reading(device_id: str, temperature: float, *, ago: float = 0) -> tuple[str, bytes]:
    timestamp = datetime.now(UTC) - timedelta(seconds=ago)
    document = {
        "temperature": temperature,
        "vibration": 1.5,
        "gas": 410.0,
        "power": 230.0,
        "timestamp": timestamp.isoformat(),
    }
    return f"sensors/{device_id}/data", json.dumps(document).encode()


def console_errors(driver) -> list[dict]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def cell(driver, device_id: str, field: str) -> str:
    selector = f'#fleet-table tr[data-device-id="{device_id}"] [data-field="{field}"]'
    found = driver.find_elements(By.CSS_SELECTOR, selector)
    return found[0].text if found else ""


def asset_urls(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('script[src], link[href], img[src]'))"
        ".map(e => e.src || e.href)"
        ".concat(performance.getEntriesByType('resource').map(e => e.name));"
    )


@pytest.fixture
def ingest(request, subprocess_env, mosquitto, tmp_path):
    process = start_ingest(request, subprocess_env, tmp_path / "ingest.log")
    publisher = open_publisher(request, mosquitto)
    return process, publisher


def test_the_fleet_lists_devices_grows_live_and_charts(browser, web_server, ingest):
    _, publisher = ingest
    publisher.publish(
        [reading("press-1", 20.0 + n, ago=600 - n * 60) for n in range(10)]
        + [reading("press-2", 30.0, ago=30)]
    )
    wait_until(lambda: Device.objects.count() == 2, timeout=WAIT, what="both devices stored")

    browser.get(web_server.url + "/?device=press-1&range=1h")
    wait = WebDriverWait(browser, WAIT)
    wait.until(lambda d: cell(d, "press-2", "temperature") == "30.00")
    assert cell(browser, "press-1", "state") == "online"
    assert cell(browser, "press-1", "temperature") == "29.00"
    assert "2 devices, 2 online" in browser.find_element(By.ID, "fleet-summary").text

    # A chart draws: uPlot's canvas, with a size, for each metric.
    def canvases(driver):
        found = driver.find_elements(By.CSS_SELECTOR, ".plot .uplot canvas")
        return found if len(found) == 4 else None

    for canvas in wait.until(canvases):
        assert canvas.size["width"] > 100
        assert canvas.size["height"] > 50
    assert "10 buckets of 1m" in browser.find_element(By.ID, "chart-status").text
    assert browser.find_element(By.ID, "chart-power").get_attribute("data-buckets") == "10"

    # A new reading through the broker shows without a reload, in the table and
    # the chart, from the stream (/api/sensors/stream): sooner than any poll.
    wait.until(lambda d: "streaming" in d.find_element(By.TAG_NAME, "body").get_attribute("class"))
    wait.until(lambda d: d.find_element(By.ID, "alarms-summary").text == "0 active")
    AlarmRule.objects.create(
        name="press hot", metric="temperature", operator=">", threshold=50, severity="critical"
    )
    marker = browser.execute_script("return window.performance.timeOrigin;")
    publisher.publish([reading("press-2", 42.42), reading("press-1", 55.5)])
    live = WebDriverWait(browser, LIVE)
    live.until(lambda d: cell(d, "press-2", "temperature") == "42.42")
    live.until(lambda d: cell(d, "press-1", "temperature") == "55.50")
    assert cell(browser, "press-1", "reading_count") == "11"
    assert browser.execute_script("return window.performance.timeOrigin;") == marker
    # The chart grew: its newest 1-minute bucket holds the new reading.
    chart = browser.find_element(By.ID, "chart-temperature")
    live.until(lambda d: chart.get_attribute("data-newest-max") == "55.5")
    assert chart.get_attribute("data-buckets") == "11"

    # The reading of 55.5 raised an alarm: the next poll lists it.
    wait.until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#alarms-table tr[data-device-id='press-1']")
    )
    row = browser.find_element(By.CSS_SELECTOR, "#alarms-table tr[data-device-id='press-1']")
    assert "critical" in row.text
    assert "press hot (temperature)" in row.text
    wait.until(lambda d: d.find_element(By.ID, "alarms-summary").text == "1 active")

    # Every asset came from this server.
    for url in asset_urls(browser):
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) in {
            ("http", f"127.0.0.1:{web_server.port}"),
            ("data", ""),
        }, url
    assert console_errors(browser) == []

    screenshot = os.environ.get("DASHBOARD_SCREENSHOT")
    if screenshot:  # docs/dashboard.png is made this way (README)
        browser.save_screenshot(str(Path(screenshot).resolve()))


def user_with(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="a-long-password-1")
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def log_in(driver, server, username: str) -> None:
    driver.get(server.url + "/accounts/login/?next=/%3Fdevice%3Dpress-1")
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys("a-long-password-1")
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    WebDriverWait(driver, WAIT).until(lambda d: urlsplit(d.current_url).path == "/")


def test_the_command_form_sends_a_command(browser, web_server):
    Device.objects.create(device_id="press-1")
    user_with("operator", "add_command")
    log_in(browser, web_server, "operator")
    assert browser.find_element(By.CSS_SELECTOR, "header .who").text == "operator"

    wait = WebDriverWait(browser, WAIT)
    wait.until(lambda d: "No commands" in d.find_element(By.ID, "commands-table").text)
    browser.find_element(By.ID, "command").send_keys("restart")
    browser.find_element(By.ID, "parameters").send_keys('{"delay": 5}')
    browser.find_element(By.CSS_SELECTOR, "#command-form button[type=submit]").click()
    wait.until(lambda d: "pending" in d.find_element(By.ID, "command-status").text)

    command = Command.objects.get()
    assert (command.device_id, command.command, command.parameters) == (
        "press-1",
        "restart",
        {"delay": 5},
    )
    assert command.created_by.username == "operator"
    row = f'#commands-table tr[data-command-id="{command.id}"]'
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, row))
    assert "restart" in browser.find_element(By.CSS_SELECTOR, row).text
    assert console_errors(browser) == []


def test_no_form_for_a_user_without_permission(browser, web_server):
    user_with("visitor")
    log_in(browser, web_server, "visitor")
    assert browser.find_elements(By.ID, "command-form") == []
    assert browser.find_elements(By.ID, "commands-table") == []
    assert "may not send commands" in browser.find_element(By.ID, "device").text
    browser.find_element(By.CSS_SELECTOR, "header form button").click()  # log out
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.ID, "login-link"))
    browser.get(web_server.url + "/?device=press-1")
    assert browser.find_elements(By.ID, "command-form") == []
    assert console_errors(browser) == []
