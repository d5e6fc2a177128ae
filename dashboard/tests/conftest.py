"""Browser-test fixtures: a real web server on the test database and headless chromium.

The server is gunicorn with uvicorn workers as deployed (deploy/gunicorn.conf.py,
ASGI, ServeStatic serving the collected, hashed static files) on the database of a
``transactional_db`` test, so that it sees what the test and the real ingest
commit. The browser is Debian's ``chromium`` driven by its ``chromium-driver``:
nothing is downloaded (bin/test installs both with apt-get).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import PROJECT_DIR, WebServer, web_server_running

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: Seconds a page or a script may take before the test gives up.
PAGE_TIMEOUT = 20


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def collected_static() -> None:
    """Hashed static files in STATIC_ROOT, as bin/run and a deployment make them."""
    env = {**os.environ, "DJANGO_SECRET_KEY": "collectstatic", "LOG_FILE": ""}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        timeout=120,
    )


@pytest.fixture
def web_server(collected_static, subprocess_env, tmp_path) -> Iterator[WebServer]:
    with web_server_running(subprocess_env, tmp_path / "web.log") as server:
        yield server


@pytest.fixture
def browser(request, tmp_path, web_server) -> Iterator:
    """Headless chromium; on a failure: a screenshot (its path printed), the
    browser's console and the server's log."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("needs Debian's chromium and chromium-driver (bin/test installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager: never download a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1400,1100",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    driver.set_script_timeout(PAGE_TIMEOUT)
    try:
        yield driver
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            shot = tmp_path / "dashboard-failure.png"
            try:
                driver.save_screenshot(str(shot))
                print(f"\nscreenshot: {shot}")
                print("browser console:", driver.get_log("browser"))
            except Exception as error:  # the browser itself may be what failed
                print(f"\nno screenshot: {error}")
            print("server log:\n", web_server.log()[-5000:])
        driver.quit()
