"""The approvals inbox (/inbox) over plain HTTP, as a browser without JavaScript uses it:
sign-in and the session cookie, CSRF, the list and its filters, forms answered with
POST-redirect-GET (refusals shown inline), the live-refresh ETags, and escaping of untrusted
payloads."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client

from tempograph import GraphClient
from tempograph.http.inbox._session import COOKIE
from tests.browser.inbox_support import EVIL, EVIL_IMG, inbox_server

TOKEN = "inbox-test-token"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest_asyncio.fixture(scope="module")
async def served(client: Client) -> AsyncIterator[tuple[str, GraphClient]]:
    async with inbox_server(client, TOKEN) as pair:
        yield pair


@pytest_asyncio.fixture
async def browser(served: tuple[str, GraphClient]) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-in browser (cookie jar), following no redirects by itself."""
    url, _ = served
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        r = await http.post("/inbox/login", data={"token": TOKEN, "next": "/inbox"})
        assert r.status_code == 303 and r.headers["location"] == "/inbox"
        yield http


def tid() -> str:
    return f"inbox-{uuid.uuid4().hex[:10]}"


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, html
    return match.group(1)


async def item_page(http: httpx.AsyncClient, thread: str) -> tuple[str, str]:
    r = await http.get(f"/inbox/{thread}")
    assert r.status_code == 200, r.text
    return r.text, csrf_of(r.text)


async def test_sign_in_sets_a_strict_httponly_cookie_and_refuses_a_wrong_token(
    served: tuple[str, GraphClient],
) -> None:
    url, _ = served
    async with httpx.AsyncClient(base_url=url) as http:
        r = await http.get("/inbox/some-thread?x=1")
        assert r.status_code == 303
        assert r.headers["location"] == "/inbox/login?next=%2Finbox%2Fsome-thread%3Fx%3D1"
        assert (await http.get("/inbox?partial=1")).status_code == 401  # the poller's answer
        assert (await http.get("/threads/x")).status_code == 401  # the API is unchanged

        login = await http.get("/inbox/login")
        assert login.status_code == 200 and 'type="password"' in login.text
        wrong = await http.post("/inbox/login", data={"token": "nope"})
        assert wrong.status_code == 401 and "not the API token" in wrong.text
        assert COOKIE not in http.cookies

        r = await http.post("/inbox/login", data={"token": TOKEN, "next": "https://evil.example/"})
        assert r.status_code == 303 and r.headers["location"] == "/inbox"  # no open redirect
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/inbox" in cookie
        page = await http.get("/inbox")
        assert page.status_code == 200 and "Waiting for a human" in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]

        # A forged cookie is no session.
        http.cookies.set(COOKIE, "abc.99999999999.0000", path="/inbox")
        assert (await http.get("/inbox")).status_code == 303

    # The API's header works for scripts too.
    async with httpx.AsyncClient(base_url=url) as http:
        r = await http.get("/inbox", headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200


async def test_no_js_flow_refusal_inline_then_answer_redirects_and_the_item_leaves(
    served: tuple[str, GraphClient], browser: httpx.AsyncClient
) -> None:
    _, gc = served
    thread = tid()
    out = await gc.invoke("typed", {"action": "deploy"}, thread_id=thread)
    [pending] = out["__interrupt__"]

    listing = await browser.get("/inbox", params={"graph": "typed"})
    assert f'href="/inbox/{thread}"' in listing.text

    html, csrf = await item_page(browser, thread)
    # The form is built from the response_schema: a required boolean, an optional string.
    assert 'name="f.approved" required' in html and 'value="true"' in html
    assert 'name="f.note"' in html

    # A JSON answer of the wrong type: refused by the run, shown next to the form.
    wrong = {"csrf": csrf, "interrupt_id": pending.id, "mode": "json", "raw": '{"approved": "yes"}'}
    r = await browser.post(f"/inbox/{thread}", data=wrong)
    assert r.status_code == 422 and 'role="alert"' in r.text and "does not fit" in r.text
    assert "{&#34;approved&#34;: &#34;yes&#34;}" in r.text  # what was typed stays in the form
    # The form's own refusal: a required field missing.
    missing = {"csrf": csrf, "interrupt_id": pending.id, "mode": "form", "f.note": "x"}
    r = await browser.post(f"/inbox/{thread}", data=missing)
    assert r.status_code == 422 and "approved" in r.text
    # Not JSON at all: refused before anything is sent.
    r = await browser.post(f"/inbox/{thread}", data={**wrong, "raw": "{oops"})
    assert r.status_code == 422 and "not valid JSON" in r.text
    assert (await gc.get_state(thread)).status == "interrupted"

    right = {"csrf": csrf, "interrupt_id": pending.id, "mode": "form", "f.approved": "true",
             "f.note": "ok"}  # fmt: skip
    r = await browser.post(f"/inbox/{thread}", data=right)
    assert r.status_code == 303 and r.headers["location"] == f"/inbox?sent={thread}"
    assert (await gc.get_state(thread)).values == {"action": "deploy", "decision": "True:ok"}
    after = await browser.get(r.headers["location"])
    assert "was sent" in after.text and f'href="/inbox/{thread}"' not in after.text
    gone = await browser.get(f"/inbox/{thread}")
    assert 'id="gone"' in gone.text and 'class="answer"' not in gone.text
    # Answering again: the question is not waiting any more.
    r = await browser.post(f"/inbox/{thread}", data=right)
    assert r.status_code == 409 and "not waiting any more" in r.text


async def test_csrf_token_is_required_and_tied_to_the_session(
    served: tuple[str, GraphClient], browser: httpx.AsyncClient
) -> None:
    url, gc = served
    thread = tid()
    [pending] = (await gc.invoke("free", {"topic": "x"}, thread_id=thread))["__interrupt__"]
    _, csrf = await item_page(browser, thread)
    answer = {"interrupt_id": pending.id, "mode": "text", "raw": "fine"}

    r = await browser.post(f"/inbox/{thread}", data=answer)  # no token
    assert r.status_code == 403 and "CSRF" in r.text
    # Another session's token (same server, same API token) does not fit this session.
    async with httpx.AsyncClient(base_url=url) as other:
        await other.post("/inbox/login", data={"token": TOKEN})
        _, other_csrf = await item_page(other, thread)
    assert other_csrf != csrf
    r = await browser.post(f"/inbox/{thread}", data={**answer, "csrf": other_csrf})
    assert r.status_code == 403
    # A form posted from another site.
    r = await browser.post(
        f"/inbox/{thread}",
        data={**answer, "csrf": csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403 and "another site" in r.text
    assert (await gc.get_state(thread)).status == "interrupted"

    r = await browser.post(f"/inbox/{thread}", data={**answer, "csrf": csrf})
    assert r.status_code == 303
    assert (await gc.get_state(thread)).values["answer"] == "fine"

    # Sign out: the cookie is cleared, and the inbox asks to sign in again.
    r = await browser.post("/inbox/logout", data={"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/inbox/login"
    assert (await browser.get("/inbox")).status_code == 303


async def test_untrusted_payloads_are_escaped(
    served: tuple[str, GraphClient], browser: httpx.AsyncClient
) -> None:
    _, gc = served
    thread = tid()
    await gc.invoke("evil", {"topic": "<b>release</b>"}, thread_id=thread)
    html, csrf = await item_page(browser, thread)
    assert "<script>window" not in html and "<img src=x" not in html and "<b>release" not in html
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    # Markdown-ish text: the marks become tags, the markup stays text.
    assert "<strong>Approve</strong> the &lt;b&gt;release&lt;/b&gt;?" in html
    assert "<li>&lt;script&gt;" in html and "<code>&lt;img src=x" in html
    listing = await browser.get("/inbox", params={"graph": "evil"})
    assert "<script>window" not in listing.text and "&lt;script&gt;" in listing.text

    [pending] = (await gc.get_state(thread)).interrupts
    r = await browser.post(
        f"/inbox/{thread}",
        data={"csrf": csrf, "interrupt_id": pending.id, "mode": "text", "raw": EVIL},
    )
    assert r.status_code == 303
    html, _ = await item_page(browser, thread)  # the JSON payload, pretty-printed and escaped
    assert "<script>window" not in html and "<img src=x" not in html
    assert (
        "&#34;html&#34;: &#34;&lt;img src=x onerror=\\&#34;window.__pwned = 2\\&#34;&gt;&#34;"
        in html
    )
    assert EVIL_IMG not in html


async def test_human_interrupt_and_hitl_middleware_forms(
    served: tuple[str, GraphClient], browser: httpx.AsyncClient
) -> None:
    _, gc = served
    thread = tid()
    ask = {"messages": [{"role": "user", "content": "reply to alice@example.com"}]}
    [pending] = (await gc.invoke("inbox_review", ask, thread_id=thread))["__interrupt__"]
    html, csrf = await item_page(browser, thread)
    assert "The assistant wants to email alice@example.com" in html
    assert 'class="action-name">send_email<' in html
    for mode in ("accept", "edit", "response", "ignore"):
        assert f'name="mode" value="{mode}"' in html
    edit = {"csrf": csrf, "interrupt_id": pending.id, "mode": "edit",
            "args-0": '{"to": "bob@example.com", "subject": "Hi", "body": "x"}'}  # fmt: skip
    r = await browser.post(f"/inbox/{thread}", data=edit)
    assert r.status_code == 303
    messages = (await gc.get_state(thread)).values["messages"]
    assert messages[-1]["content"] == "Done. Sent to bob@example.com: 'Hi'"

    thread = tid()
    ask = {"messages": [{"role": "user", "content": "weather in Paris and Rome"}]}
    [pending] = (await gc.invoke("hitl_middleware", ask, thread_id=thread))["__interrupt__"]
    html, csrf = await item_page(browser, thread)
    assert html.count('class="decision"') == 2 and 'value="reject"' in html
    decide = {"csrf": csrf, "interrupt_id": pending.id, "mode": "decide", "decision-0": "approve",
              "decision-1": "reject", "message-1": "not Rome"}  # fmt: skip
    r = await browser.post(f"/inbox/{thread}", data={**decide, "decision-1": ""})
    assert r.status_code == 422 and "Action 2 (get_weather): choose one of" in r.text
    r = await browser.post(f"/inbox/{thread}", data=decide)
    assert r.status_code == 303
    last = (await gc.get_state(thread)).values["messages"][-1]["content"]
    assert "sunny in Paris" in last and "rejected the tool call" in last and "not Rome" in last


async def test_list_filters_paging_and_etag(
    served: tuple[str, GraphClient], browser: httpx.AsyncClient
) -> None:
    _, gc = served
    threads = [tid() for _ in range(3)]
    for t in threads:
        await gc.invoke("free", {"topic": t}, thread_id=t)
    late = tid()
    await gc.invoke("deadline", {"action": "x"}, thread_id=late)

    async def listed(**params: Any) -> list[str]:
        r = await browser.get("/inbox", params=params)
        assert r.status_code == 200, r.text
        return re.findall(r'data-thread="([^"]+)"', r.text)

    free = await listed(graph="free")
    assert [t for t in free if t in threads] == threads[::-1]  # newest first
    assert late not in free and late in await listed(deadline="set")
    assert late in await listed(deadline="3d") and late not in await listed(deadline="1h")
    assert late not in await listed(deadline="none") and threads[0] in await listed(graph="free")
    assert threads[0] not in await listed(min_age="1d") and threads[0] in await listed(max_age="1h")
    r = await browser.get("/inbox", params={"min_age": "soon"})
    assert r.status_code == 400 and "a duration such as" in r.text

    # Paging: one item a page, following the "Older" links.
    seen: list[str] = []
    params: dict[str, str] = {"graph": "free", "size": "1"}
    for _ in range(len(free)):
        r = await browser.get("/inbox", params=params)
        seen += re.findall(r'data-thread="([^"]+)"', r.text)
        older = re.search(r'href="/inbox\?([^"]+)" rel="next"', r.text)
        if not older:
            break
        params = dict(httpx.QueryParams(older.group(1).replace("&amp;", "&")))
    assert seen == free

    # The live refresh: 304 while nothing changed, 200 with new rows when something did.
    poll = {"graph": "free", "partial": "1"}
    r = await browser.get("/inbox", params=poll)
    etag = r.headers["etag"]
    assert r.status_code == 200 and "<html" not in r.text
    assert (
        await browser.get("/inbox", params=poll, headers={"If-None-Match": etag})
    ).status_code == 304
    await gc.resume(threads[0], "done")
    r = await browser.get("/inbox", params=poll, headers={"If-None-Match": etag})
    assert r.status_code == 200 and threads[0] not in r.text

    item = await browser.get(f"/inbox/{threads[1]}", params={"partial": "1"})
    again = await browser.get(
        f"/inbox/{threads[1]}",
        params={"partial": "1"},
        headers={"If-None-Match": item.headers["etag"]},
    )
    assert again.status_code == 304


async def test_open_inbox_without_a_token_still_needs_csrf(client: Client) -> None:
    async with inbox_server(client, None) as (url, gc):
        thread = tid()
        [pending] = (await gc.invoke("free", {"topic": "y"}, thread_id=thread))["__interrupt__"]
        async with httpx.AsyncClient(base_url=url) as http:
            assert (await http.get("/inbox/login")).status_code == 303
            html, csrf = await item_page(http, thread)  # an anonymous session, no sign-in
            assert "Sign out" not in html
            answer = {"interrupt_id": pending.id, "mode": "json", "raw": '"ok"'}
            assert (await http.post(f"/inbox/{thread}", data=answer)).status_code == 403
            r = await http.post(f"/inbox/{thread}", data={**answer, "csrf": csrf})
            assert r.status_code == 303
        assert (await gc.get_state(thread)).values["answer"] == "ok"


@pytest.mark.parametrize("path", ["/inbox/static/inbox.js", "/inbox/static/inbox.css"])
async def test_static_files(served: tuple[str, GraphClient], path: str) -> None:
    url, _ = served
    async with httpx.AsyncClient(base_url=url) as http:
        r = await http.get(path)
        assert r.status_code == 200 and r.headers["x-content-type-options"] == "nosniff"
        assert (await http.get("/inbox/static/app.py")).status_code == 404


async def test_a_static_breakpoint_is_continued_from_the_inbox(
    served: tuple[str, GraphClient], browser: httpx.AsyncClient
) -> None:
    _, gc = served
    thread = tid()
    await gc.invoke("free", {"topic": "z"}, thread_id=thread, interrupt_before=["ask"])
    html, csrf = await item_page(browser, thread)
    assert "Paused before ask" in html and 'value="continue"' in html
    r = await browser.post(
        f"/inbox/{thread}", data={"csrf": csrf, "interrupt_id": "", "mode": "continue"}
    )
    assert r.status_code == 303
    state = await gc.get_state(thread)  # on to the node's own question
    assert state.status == "interrupted" and state.interrupts[0].value == "What about z?"
