"""The dashboard in a real headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium), against the real app served by uvicorn on a loopback port.

Screenshots of each step are kept in ``test-artifacts/`` at the project's root.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from communique.web import create_app
from tests.web_support import PROJECT, SCRIPT, web_db  # noqa: F401  (a fixture)

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = PROJECT / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="headless browser tests need Debian's chromium and chromium-driver "
    "(/usr/bin/chromium, /usr/bin/chromedriver): run `make browser` as root",
)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(web_db: Path) -> Iterator[str]:
    """The real app under uvicorn in a thread, on a free loopback port."""
    port = _free_port()
    config = uvicorn.Config(create_app(str(web_db), api_key_hashes=[]), host="127.0.0.1",
                            port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for argument in ("--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-dev-shm-usage", "--window-size=1280,1000",
                     f"--user-data-dir={profile}"):
        options.add_argument(argument)
    # An explicit driver: Selenium Manager never looks for one on the network.
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait(driver: WebDriver, css: str) -> object:
    return WebDriverWait(driver, 10).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def _shot(driver: WebDriver, name: str) -> None:
    assert driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def _no_alert(driver: WebDriver) -> None:
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018  (raises when no script opened one)


def test_pick_a_pair_see_chart_and_channels_then_an_event(
    browser: WebDriver, server: str
) -> None:
    browser.get(server + "/")
    _wait(browser, "form.pick-pair")
    assert "Country pairs" in browser.title
    assert browser.find_elements(By.CSS_SELECTOR, "a.pair-link"), "no top pair listed"
    _shot(browser, "1-home")

    browser.find_element(By.ID, "pair-a").send_keys("usa")
    browser.find_element(By.ID, "pair-b").send_keys("chn")
    browser.find_element(By.CSS_SELECTOR, "form.pick-pair button").click()
    _wait(browser, "#timeline-chart")
    assert browser.current_url.endswith("/pair/USA/CHN")
    chart = browser.find_element(By.ID, "timeline-chart")
    assert chart.is_displayed() and int(chart.get_attribute("data-peak") or 0) >= 1
    bars = chart.find_elements(By.CSS_SELECTOR, "rect.bar")
    assert any(float(bar.get_attribute("height") or 0) > 0 for bar in bars)
    assert chart.find_elements(By.CSS_SELECTOR, "polyline.goldstein")
    table = browser.find_element(By.ID, "channel-table")
    assert table.is_displayed()
    levels = {row.get_attribute("data-level") for row in
              table.find_elements(By.CSS_SELECTOR, "tr.channel")}
    assert {"leaders", "military"} <= levels, levels
    _shot(browser, "2-pair-USA-CHN")

    leaders = table.find_element(By.CSS_SELECTOR, "tr[data-level='leaders'] a[href^='/events/']")
    leaders.click()
    _wait(browser, "mark.event-sentence")
    marks = browser.find_elements(By.CSS_SELECTOR, "mark.event-sentence")
    assert all(mark.is_displayed() for mark in marks)
    highlighted = "".join(mark.text for mark in marks)
    assert "Xi" in highlighted, highlighted
    assert browser.find_elements(By.CSS_SELECTOR, "mark.event-trigger")
    _shot(browser, "3-event-sentence-highlighted")


def test_event_list_filters_live_in_the_url(browser: WebDriver, server: str) -> None:
    browser.get(server + "/events?dyad=USA-CHN")
    _wait(browser, "form.filters")
    code = browser.find_element(By.NAME, "code")
    code.send_keys("04")
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    WebDriverWait(browser, 10).until(lambda driver: "code=04" in driver.current_url)
    assert "dyad=USA-CHN" in browser.current_url and "since=" not in browser.current_url
    rows = browser.find_elements(By.CSS_SELECTOR, "table.events tbody tr")
    assert rows and "Consult" in browser.page_source
    _shot(browser, "4-events-filtered")

    browser.find_element(By.CSS_SELECTOR, "table.events a[href^='/actors/']").click()
    _wait(browser, "dl.facts")
    assert "/actors/" in browser.current_url
    _shot(browser, "5-actor")


def test_hostile_article_runs_no_script(browser: WebDriver, server: str) -> None:
    browser.get(server + "/events?actor=Sullivan&since=2024-08-29&until=2024-08-29")
    _wait(browser, "table.events")
    browser.find_element(By.CSS_SELECTOR, "table.events a[href^='/events/']").click()
    _wait(browser, "mark.event-sentence")
    _no_alert(browser)
    highlighted = "".join(
        mark.text for mark in browser.find_elements(By.CSS_SELECTOR, "mark.event-sentence")
    )
    assert SCRIPT in highlighted  # shown as the text it is
    _shot(browser, "6-hostile-article-as-text")
