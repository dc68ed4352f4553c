"""The Mini App in a real browser: Debian's headless Chromium, driven by Selenium through
chromedriver, loads the page from a running server (the chat, the HTTP API and the app, with
the Bot API emulator) with a signed initData injected as Telegram's script would hand it.

One browser serves the module; each test gets a fresh server. Screenshots at the phone
viewport (390 x 844) in Telegram's light and dark themes are kept as test artefacts.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from providers.payments.fake import FakePaymentBackend
from tests.miniapp.conftest import ADMIN_ID, AppStack, init_data

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
VIEWPORT = (390, 844)
ARTIFACTS = Path(
    os.environ.get("FULMINE_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)
ADA = 1001
LIGHT = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#999999",
    "link_color": "#2481cc",
    "button_color": "#2481cc",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#efeff3",
}
DARK = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
}
T = TypeVar("T")
LOADED = (
    "return [...document.querySelectorAll('#grid img')]"
    ".filter(i => i.complete && i.naturalWidth > 0).length"
)


def _rgb(image: Image.Image, x: int, y: int) -> tuple[int, ...]:
    pixel = image.getpixel((x, y))
    assert isinstance(pixel, tuple)
    return pixel


def _keep(name: str, data: bytes) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_bytes(data)


@pytest.fixture
def state_backend() -> dict[str, Any]:
    """In memory: the API tests cover Redis; here the browser is what is tested."""
    return {}


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    profile = tempfile.mkdtemp(prefix="fulmine-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        # Without these Chromium calls home, and on a closed network it hangs.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": VIEWPORT[0], "height": VIEWPORT[1], "deviceScaleFactor": 1, "mobile": True},
        )
        # Telegram's own script is not reachable here: the page must do without it.
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*telegram.org*"]})
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


class Page:
    """The app as one user sees it in the browser; every call runs in a thread, so the
    server (on this event loop) keeps answering."""

    def __init__(self, driver: WebDriver, stack: AppStack) -> None:
        self.driver = driver
        self.stack = stack
        self._script: str | None = None

    async def run(self, call: Callable[[], T]) -> T:
        return await asyncio.to_thread(call)

    async def open(self, signed: str, theme: dict[str, str] = LIGHT, scheme: str = "light") -> str:
        """Open the app as Telegram would, with ``signed`` initData; how it settled."""
        stub = {
            "initData": signed,
            "themeParams": theme,
            "colorScheme": scheme,
            "platform": "android",
            "version": "8.0",
        }
        source = (
            f"window.Telegram = {{WebApp: Object.assign({json.dumps(stub)}, "
            "{ready() {}, expand() {}})};"
        )

        def load() -> str:
            if self._script is not None:
                self.driver.execute_cdp_cmd(
                    "Page.removeScriptToEvaluateOnNewDocument", {"identifier": self._script}
                )
            added = self.driver.execute_cdp_cmd(
                "Page.addScriptToEvaluateOnNewDocument", {"source": source}
            )
            self._script = added["identifier"]
            self.driver.get(f"{self.stack.url}/app")
            return str(
                WebDriverWait(self.driver, 20).until(
                    lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready")
                )
            )

        return await self.run(load)

    async def wait(self, condition: Callable[[WebDriver], Any], timeout_s: float = 30) -> Any:
        return await self.run(lambda: WebDriverWait(self.driver, timeout_s).until(condition))

    async def loaded_thumbnails(self) -> int:
        """Thumbnails whose image actually loaded (through its signed link)."""
        return int(await self.run(lambda: self.driver.execute_script(LOADED)))

    async def wait_thumbnails(self, count: int) -> None:
        await self.wait(lambda d: d.execute_script(LOADED) == count)

    async def tab(self, name: str) -> None:
        await self.run(
            lambda: self.driver.find_element(By.CSS_SELECTOR, f'[data-tab="{name}"]').click()
        )

    async def text(self, element_id: str) -> str:
        return str(await self.run(lambda: self.driver.find_element(By.ID, element_id).text))

    async def fetch_status(self, path: str) -> int:
        """The status of an API call made from the page with its own initData."""
        script = (
            "const done = arguments[arguments.length - 1];"
            f"fetch('/app/api{path}', {{headers: {{Authorization: "
            "'tma ' + window.Telegram.WebApp.initData}}).then(r => done(r.status));"
        )
        return int(await self.run(lambda: self.driver.execute_async_script(script)))

    async def screenshot(self, name: str) -> Image.Image:
        data = await self.run(self.driver.get_screenshot_as_png)
        await self.run(lambda: _keep(f"miniapp-{name}.png", data))
        image = Image.open(io.BytesIO(data)).convert("RGB")
        assert image.size == VIEWPORT
        colours = image.getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 50, f"{name}: the screenshot is blank"
        return image


@pytest.fixture
def page(browser: WebDriver, app_stack: AppStack) -> Page:
    return Page(browser, app_stack)


async def test_the_gallery_shows_the_images_made_in_the_chat(page: Page) -> None:
    await page.stack.chat(ADA, "/generate a red fox in the snow")
    await page.stack.chat(ADA, "/generate a lighthouse at dusk")
    assert await page.open(init_data(ADA)) == "yes"
    await page.wait_thumbnails(2)
    light = await page.screenshot("gallery-light")
    assert sum(_rgb(light, 195, 10)) > 600  # the theme's white background

    assert await page.open(init_data(ADA), DARK, "dark") == "yes"
    await page.wait_thumbnails(2)
    dark = await page.screenshot("gallery-dark")
    assert sum(_rgb(dark, 195, 10)) < 150  # the dark theme's background

    await page.run(lambda: page.driver.find_elements(By.CSS_SELECTOR, "#grid img")[0].click())
    await page.wait(lambda d: d.find_element(By.ID, "detail").is_displayed())
    assert await page.text("detail-prompt") == "a lighthouse at dusk"
    await page.screenshot("detail-dark")


async def test_a_new_image_made_in_the_app_appears_in_the_chat_and_the_gallery(
    page: Page,
) -> None:
    await page.stack.chat(ADA, "/start")
    assert await page.open(init_data(ADA)) == "yes"
    assert await page.loaded_thumbnails() == 0
    await page.tab("new")
    await page.run(lambda: page.driver.find_element(By.ID, "prompt").send_keys("a paper boat"))
    await page.run(lambda: page.driver.find_element(By.ID, "make").click())
    await page.wait(lambda d: d.find_element(By.ID, "job-status").text.startswith("Done"))
    await page.screenshot("new-light")
    (photo,) = page.stack.photos_to(ADA)
    assert photo.params["caption"] == "a paper boat"
    await page.tab("gallery")
    await page.wait_thumbnails(1)


async def test_upscale_from_the_gallery_appears_in_the_chat(page: Page) -> None:
    await page.stack.chat(ADA, "/generate a small house")
    assert await page.open(init_data(ADA)) == "yes"
    await page.wait_thumbnails(1)
    await page.run(lambda: page.driver.find_element(By.CSS_SELECTOR, "#grid img").click())
    await page.wait(lambda d: d.find_element(By.ID, "detail").is_displayed())
    await page.run(lambda: page.driver.find_element(By.ID, "detail-upscale").click())
    await page.wait(lambda d: d.find_element(By.ID, "detail-status").text.startswith("Done"))
    (document,) = page.stack.emulator.calls_to("sendDocument")
    assert document.params["chat_id"] == ADA
    await page.wait_thumbnails(2)


async def test_settings_persist_and_change_the_next_generate(page: Page) -> None:
    assert await page.open(init_data(ADA)) == "yes"
    await page.tab("settings")
    await page.run(
        lambda: Select(page.driver.find_element(By.ID, "set-ratio")).select_by_value("16:9")
    )
    await page.run(lambda: page.driver.find_element(By.ID, "save-settings").click())
    await page.wait(lambda d: d.find_element(By.ID, "settings-status").text == "Saved.")

    assert await page.open(init_data(ADA)) == "yes"  # opened again: the setting is kept
    ratio = await page.run(lambda: page.driver.find_element(By.ID, "set-ratio"))
    assert await page.run(lambda: ratio.get_attribute("value")) == "16:9"

    await page.stack.chat(ADA, "/generate a wide valley")
    (photo,) = page.stack.photos_to(ADA)
    width, height = Image.open(io.BytesIO(photo.files["photo"])).size
    assert width > height
    await page.open(init_data(ADA))
    await page.wait_thumbnails(1)


async def test_a_forged_init_data_sees_nothing(page: Page) -> None:
    await page.stack.chat(ADA, "/generate a secret garden")
    forged = init_data(ADA, token="987654321:ANOTHER-bot-token_abcdefghijklmno")
    assert await page.open(forged) == "denied"
    assert await page.loaded_thumbnails() == 0
    assert "Open this page from the bot" in await page.text("notice")
    assert await page.fetch_status("/gallery") == 401
    page_source = await page.run(lambda: page.driver.page_source)
    assert "secret garden" not in page_source


async def test_the_admin_view_is_refused_to_non_admins(page: Page) -> None:
    assert await page.open(init_data(ADA)) == "yes"
    admin_tab = await page.run(
        lambda: page.driver.find_element(By.CSS_SELECTOR, '[data-tab="admin"]')
    )
    assert not await page.run(admin_tab.is_displayed)
    assert await page.fetch_status("/admin/stats?days=14") == 403
    assert await page.fetch_status("/admin/moderation") == 403

    await page.stack.chat(ADMIN_ID, "/generate a chart of things", name="Admin")
    assert await page.open(init_data(ADMIN_ID, name="Admin"), DARK, "dark") == "yes"
    await page.tab("admin")
    await page.wait(lambda d: "users" in d.find_element(By.ID, "admin-figures").text)
    assert await page.fetch_status("/admin/stats?days=30") == 200
    await page.screenshot("admin-dark")


@pytest.mark.parametrize("app_overrides", [{"payments_backend": "fake"}])
async def test_buying_credits_shows_a_qr_code_and_sees_the_payment(page: Page) -> None:
    await page.stack.chat(ADA, "/start")
    assert await page.open(init_data(ADA)) == "yes"
    await page.tab("balance")
    await page.wait(lambda d: "0 sats available" in d.find_element(By.ID, "balance-figures").text)
    amount = await page.run(lambda: page.driver.find_element(By.ID, "buy-sats"))
    await page.run(amount.clear)
    await page.run(lambda: amount.send_keys("500"))
    await page.run(lambda: page.driver.find_element(By.CSS_SELECTOR, "#buy-form button").click())
    qr_loaded = "const i = document.querySelector('#invoice img'); return !!i && i.naturalWidth > 0"
    await page.wait(lambda d: d.execute_script(qr_loaded))
    link = await page.run(lambda: page.driver.find_element(By.CSS_SELECTOR, "#invoice a"))
    href = str(await page.run(lambda: link.get_attribute("href")))
    assert href.startswith("lightning:ln")
    await page.screenshot("invoice-light")

    payments = page.stack.runtime.payments
    assert payments is not None
    assert isinstance(payments.backend, FakePaymentBackend)
    (pending,) = await payments.ledger.pending_invoices()
    assert href == f"lightning:{pending.bolt11}"
    paid = payments.backend.mark_paid(pending.invoice_id)  # the payer pays
    response = await page.stack.http.post(
        "/payments/fake/webhook", content=paid.body, headers=paid.headers
    )
    assert response.status_code == 200
    await page.wait(lambda d: d.find_element(By.ID, "invoice").text == "Paid, thank you.", 15)
    assert "500 sats available" in await page.text("balance-figures")
    topup = "#history li[data-kind=topup]"
    await page.wait(lambda d: d.find_elements(By.CSS_SELECTOR, topup))
    row = await page.run(lambda: page.driver.find_element(By.CSS_SELECTOR, topup).text)
    assert "Top-up" in row
    assert "+500 sats" in row
