"""The approvals inbox in a real headless browser: Debian's chromium and chromedriver, driven
by selenium. A run pauses -> its item appears without a reload -> a wrong answer is refused
inline -> a right answer resumes the run and the item disappears -> the run's values are right;
a HumanInterrupt answered with "accept"; untrusted markup stays text. Screenshots of the list
and of an item go to tests/artifacts/ on every run.

Selenium blocks: every browser step runs in a thread (asyncio.to_thread) while this event loop
serves the app and runs the worker."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import pytest_asyncio
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait
from temporalio.client import Client

from tempograph import GraphClient
from tests.browser.inbox_support import inbox_server

TOKEN = "browser-test-token"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
WAIT = 20  # seconds: visibility, then the page's next poll (2 s)
T = TypeVar("T")


def _binary(names: tuple[str, ...]) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        f"{' / '.join(names)} not found: the browser tests need Debian's chromium and "
        "chromium-driver (apt-get install -y chromium chromium-driver; .ci/run installs them)",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def driver() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = _binary(("chromium", "chromium-browser"))
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--window-size=1280,900"):  # fmt: skip
        options.add_argument(flag)
    # The driver's path is given: selenium-manager must not try to download one.
    service = Service(executable_path=_binary(("chromedriver",)))
    chrome = webdriver.Chrome(options=options, service=service)
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest_asyncio.fixture(scope="module")
async def served(client: Client) -> AsyncIterator[tuple[str, GraphClient]]:
    async with inbox_server(client, TOKEN) as pair:
        yield pair


async def browse(step: Callable[..., T], *args: Any) -> T:
    return await asyncio.to_thread(step, *args)


def tid() -> str:
    return f"browser-{uuid.uuid4().hex[:10]}"


def row(thread: str) -> tuple[str, str]:
    return (By.CSS_SELECTOR, f'tr[data-thread="{thread}"]')


def sign_in(d: webdriver.Chrome, url: str) -> None:
    d.get(f"{url}/inbox")
    assert "/inbox/login" in d.current_url  # no session yet: the sign-in form
    d.find_element(By.NAME, "token").send_keys(TOKEN)
    d.find_element(By.ID, "login").click()
    WebDriverWait(d, WAIT).until(ec.presence_of_element_located((By.ID, "items")))
    assert d.current_url == f"{url}/inbox"
    # Marks this page: still there after the item appears means nobody reloaded it.
    d.execute_script("window.__sameDocument = true;")


def goto(d: webdriver.Chrome, url: str, path: str) -> None:
    """Open `path`, signing in first if this browser has no session yet (a test run alone)."""
    d.get(f"{url}{path}")
    if "/inbox/login" in d.current_url:
        d.find_element(By.NAME, "token").send_keys(TOKEN)
        d.find_element(By.ID, "login").click()
        WebDriverWait(d, WAIT).until(lambda d: "/inbox/login" not in d.current_url)
    d.execute_script("window.__sameDocument = true;")


def wait_for_row(d: webdriver.Chrome, thread: str) -> None:
    WebDriverWait(d, WAIT).until(ec.presence_of_element_located(row(thread)))
    assert d.execute_script("return window.__sameDocument === true;"), "the page was reloaded"


def wait_row_gone(d: webdriver.Chrome, thread: str) -> None:
    WebDriverWait(d, WAIT).until(ec.invisibility_of_element_located(row(thread)))
    assert d.execute_script("return window.__sameDocument === true;"), "the page was reloaded"


def screenshot(d: webdriver.Chrome, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    assert d.save_screenshot(str(path)) and path.stat().st_size > 0


def open_item(d: webdriver.Chrome, thread: str) -> None:
    d.find_element(*row(thread)).find_element(By.TAG_NAME, "a").click()
    WebDriverWait(d, WAIT).until(ec.presence_of_element_located((By.CSS_SELECTOR, "form.answer")))


def answer_wrong_json(d: webdriver.Chrome) -> str:
    d.find_element(By.CSS_SELECTOR, "details.raw summary").click()
    box = d.find_element(By.NAME, "raw")
    box.clear()
    box.send_keys('{"approved": "yes"}')
    d.find_element(By.CSS_SELECTOR, 'button[value="json"]').click()
    alert = WebDriverWait(d, WAIT).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, ".card .refused"))
    )
    return str(alert.text)


def answer_right(d: webdriver.Chrome) -> None:
    Select(d.find_element(By.NAME, "f.approved")).select_by_visible_text("yes (true)")
    note = d.find_element(By.NAME, "f.note")
    note.clear()
    note.send_keys("ship it")
    d.find_element(By.CSS_SELECTOR, 'button[value="form"]').click()
    WebDriverWait(d, WAIT).until(ec.presence_of_element_located((By.ID, "sent")))
    d.execute_script("window.__sameDocument = true;")


def accept(d: webdriver.Chrome) -> str:
    text = d.find_element(By.CSS_SELECTOR, ".card .text").text
    d.find_element(By.CSS_SELECTOR, 'button[value="accept"]').click()
    WebDriverWait(d, WAIT).until(ec.presence_of_element_located((By.ID, "sent")))
    d.execute_script("window.__sameDocument = true;")
    return str(text)


async def test_pause_appears_live_refused_inline_answered_and_gone(
    served: tuple[str, GraphClient], driver: webdriver.Chrome
) -> None:
    url, gc = served
    await browse(sign_in, driver, url)

    thread = tid()
    await gc.invoke("typed", {"action": "deploy v2"}, thread_id=thread)  # the run pauses
    await browse(wait_for_row, driver, thread)  # ... and shows up, without a reload
    await browse(screenshot, driver, "inbox-list.png")

    await browse(open_item, driver, thread)
    await browse(screenshot, driver, "inbox-item.png")
    refusal = await browse(answer_wrong_json, driver)
    await browse(screenshot, driver, "inbox-item-refused.png")
    assert "does not fit" in refusal and "approved" in refusal
    state = await gc.get_state(thread)
    assert state.status == "interrupted" and len(state.interrupts) == 1  # the item stays

    await browse(answer_right, driver)  # back on the list, which no longer has it
    assert not driver.find_elements(*row(thread))
    state = await gc.get_state(thread)
    assert state.status == "done"
    assert state.values == {"action": "deploy v2", "decision": "True:ship it"}


async def test_human_interrupt_accepted_and_answers_elsewhere_leave_live(
    served: tuple[str, GraphClient], driver: webdriver.Chrome
) -> None:
    url, gc = served
    await browse(goto, driver, url, "/inbox")

    elsewhere = tid()
    await gc.invoke("free", {"topic": "lunch"}, thread_id=elsewhere)
    thread = tid()
    ask = {"messages": [{"role": "user", "content": "reply to alice@example.com"}]}
    await gc.invoke("inbox_review", ask, thread_id=thread)
    await browse(wait_for_row, driver, thread)
    await browse(wait_for_row, driver, elsewhere)

    # Answered by someone else (here: the client): the row leaves this open page by itself.
    await gc.resume(elsewhere, "pizza")
    await browse(wait_row_gone, driver, elsewhere)

    await browse(open_item, driver, thread)
    await browse(screenshot, driver, "inbox-human-interrupt.png")
    description = await browse(accept, driver)
    assert "The assistant wants to email alice@example.com" in description
    state = await gc.get_state(thread)
    assert state.status == "done"
    assert state.values["messages"][-1]["content"] == (
        "Done. Sent to alice@example.com: 'Re: your message'"
    )


async def test_markup_in_a_payload_stays_text(
    served: tuple[str, GraphClient], driver: webdriver.Chrome
) -> None:
    url, gc = served
    thread = tid()
    await gc.invoke("evil", {"topic": "<b>release</b>"}, thread_id=thread)
    await browse(goto, driver, url, f"/inbox/{thread}")
    text = await browse(lambda: driver.find_element(By.CSS_SELECTOR, ".card .text").text)
    assert "<script>window.__pwned = 1</script>" in text and "<b>release</b>" in text
    assert await browse(driver.execute_script, "return window.__pwned;") is None
    assert not await browse(driver.find_elements, By.CSS_SELECTOR, ".card .text b, .card img")


@pytest.fixture
def no_js_driver() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = _binary(("chromium", "chromium-browser"))
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--window-size=1280,900"):  # fmt: skip
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"profile.managed_default_content_settings.javascript": 2}
    )
    chrome = webdriver.Chrome(options=options, service=Service(_binary(("chromedriver",))))
    try:
        yield chrome
    finally:
        chrome.quit()


def decide_without_js(d: webdriver.Chrome, url: str, thread: str) -> None:
    d.get(f"{url}/inbox/{thread}")
    d.find_element(By.NAME, "token").send_keys(TOKEN)
    d.find_element(By.ID, "login").click()  # back to the item after signing in
    WebDriverWait(d, WAIT).until(ec.presence_of_element_located((By.CSS_SELECTOR, "form.answer")))
    # inbox.js would hide the edit box while "approve" is chosen: it did not run.
    assert d.find_element(By.NAME, "args-0").is_displayed()
    d.find_element(By.CSS_SELECTOR, 'input[name="decision-1"][value="reject"]').click()
    d.find_element(By.NAME, "message-1").send_keys("not Rome")
    d.find_element(By.CSS_SELECTOR, 'button[value="decide"]').click()
    WebDriverWait(d, WAIT).until(ec.presence_of_element_located((By.ID, "sent")))


async def test_hitl_decisions_with_javascript_disabled(
    served: tuple[str, GraphClient], no_js_driver: webdriver.Chrome
) -> None:
    url, gc = served
    thread = tid()
    ask = {"messages": [{"role": "user", "content": "weather in Paris and Rome"}]}
    await gc.invoke("hitl_middleware", ask, thread_id=thread)
    await browse(decide_without_js, no_js_driver, url, thread)
    state = await gc.get_state(thread)
    assert state.status == "done"
    last = state.values["messages"][-1]["content"]
    assert "sunny in Paris" in last and "not Rome" in last and "sunny in Rome" not in last


def edit_box_follows_choice(d: webdriver.Chrome, url: str, thread: str) -> list[bool]:
    goto(d, url, f"/inbox/{thread}")
    box = d.find_element(By.NAME, "args-0")
    shown = [box.is_displayed()]
    d.find_element(By.CSS_SELECTOR, 'input[name="decision-0"][value="edit"]').click()
    return [*shown, box.is_displayed()]


async def test_with_javascript_the_edit_box_shows_only_for_edit(
    served: tuple[str, GraphClient], driver: webdriver.Chrome
) -> None:
    url, gc = served
    thread = tid()
    ask = {"messages": [{"role": "user", "content": "weather in Oslo"}]}
    await gc.invoke("hitl_middleware", ask, thread_id=thread)
    assert await browse(edit_box_follows_choice, driver, url, thread) == [False, True]
