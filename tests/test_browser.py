"""The saloon's page in a real browser: headless Chromium from the system's
packages (``apt-get install chromium chromium-driver``, as ``.ci/run``
does), driven by Selenium through the system's chromedriver, against the
saloon on gunicorn gevent workers and a ZEO server."""

import os

import pytest

import sheraf
from examples.saloon.launch import Saloon

webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is not installed"
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 20  # seconds a page may take to load or change

pytestmark = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason=f"no browser: {CHROMIUM} and {CHROMEDRIVER} are not installed "
    "(apt-get install chromium chromium-driver, as .ci/run does)",
)


@pytest.fixture
def saloon(tmp_path):
    data_dir = tmp_path / "saloon"
    data_dir.mkdir()
    saloon = Saloon(str(data_dir), workers=1)
    try:
        yield saloon
    finally:
        saloon.stop()


@pytest.fixture
def browser(tmp_path, monkeypatch):
    # Selenium must use the system's browser and driver, never fetch one.
    monkeypatch.setenv("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",  # as root
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=900,700",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def submit(browser, button):
    """Press ``button`` and wait for the page its form leads to."""
    page = browser.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(browser, WAIT).until(expected_conditions.staleness_of(page))


def hire_through_the_form(browser, name):
    field = browser.find_element(By.CSS_SELECTOR, "#hire input[name=name]")
    field.clear()
    field.send_keys(name)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#hire button"))


def cowboys_on_the_page(browser):
    """``{name: gunskill}`` as the page shows them."""
    return {
        row.find_element(By.CSS_SELECTOR, ".name").text: int(
            row.find_element(By.CSS_SELECTOR, ".gunskill").text
        )
        for row in browser.find_elements(By.CSS_SELECTOR, "#cowboys li[id]")
    }


def cowboys_in_the_database(saloon):
    """``{name: gunskill}`` as the ZEO server has them."""
    from examples.saloon.models import Cowboy

    database = sheraf.Database(
        f"zeo://127.0.0.1:{saloon.zeo_port}", db_args={"database_name": "browser"}
    )
    try:
        with sheraf.connection("browser"):
            return {cowboy.name: cowboy.gunskill for cowboy in Cowboy.all()}
    finally:
        database.close()


def test_hire_and_practice_through_the_page(saloon, browser, tmp_path):
    browser.get(saloon.url)
    assert browser.title == "Saloon"
    assert browser.find_element(By.ID, "cowboys").text == "Nobody yet."

    hire_through_the_form(browser, "George Abitbol")
    assert browser.current_url == saloon.url + "/"
    for _ in range(3):
        row = browser.find_element(By.CSS_SELECTOR, "#cowboys li[id]")
        submit(browser, row.find_element(By.TAG_NAME, "button"))
    assert cowboys_on_the_page(browser) == {"George Abitbol": 3}
    assert cowboys_in_the_database(saloon) == {"George Abitbol": 3}
    browser.save_screenshot(str(tmp_path / "saloon.png"))


def test_a_name_already_taken_shows_the_forms_error(saloon, browser):
    browser.get(saloon.url)
    hire_through_the_form(browser, "George Abitbol")
    hire_through_the_form(browser, "George Abitbol")
    assert browser.find_element(By.TAG_NAME, "h1").text == "The saloon"
    errors = browser.find_elements(By.CSS_SELECTOR, "#hire .error")
    assert [error.text for error in errors] == [
        "There is already a cowboy named 'George Abitbol'."
    ]
    assert cowboys_in_the_database(saloon) == {"George Abitbol": 0}


def test_a_name_with_markup_is_shown_as_text(saloon, browser):
    name = '<script>document.title = "pwned"</script><b>Billy</b>'
    browser.get(saloon.url)
    hire_through_the_form(browser, name)
    assert browser.title == "Saloon"
    assert cowboys_on_the_page(browser) == {name: 0}
    assert browser.find_elements(By.CSS_SELECTOR, "#cowboys b") == []

    browser.find_element(By.CSS_SELECTOR, "#cowboys .name").click()
    WebDriverWait(browser, WAIT).until(expected_conditions.title_contains("Billy"))
    assert (
        browser.find_element(By.CSS_SELECTOR, "#rename input[name=name]").get_attribute(
            "value"
        )
        == name
    )
    assert browser.title == f"{name} - Saloon"
