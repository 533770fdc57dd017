"""The inbox's routes: the list, an item and its answer forms, sign-in, the static files.

Every page is rendered on the server (plain forms, POST-redirect-GET), so the inbox works with
JavaScript disabled; inbox.js only refreshes the list and the item when they change (polling
with ETag: 304 while nothing changed)."""

from __future__ import annotations

import asyncio
import functools
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from tempograph.client import GraphClient
from tempograph.errors import GraphRunError, ResumeError, TempographError, ThreadNotFoundError
from tempograph.http.backend import Backend
from tempograph.http.inbox._listing import FilterError, Filters, list_page
from tempograph.http.inbox._payloads import AnswerError, Card, breakpoint_card, build_answer, card
from tempograph.http.inbox._session import Session, Sessions, clear_cookie, set_cookie

log = structlog.get_logger("tempograph.http.inbox")

HERE = Path(__file__).parent
STATIC = {"inbox.js": "text/javascript", "inbox.css": "text/css"}
MAX_FORM_BYTES = 1 << 20
# Untrusted payloads are escaped; this is the second line: no inline script, nothing foreign.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
DEADLINE_OPTIONS = [
    ("", "any"),
    ("set", "has a deadline"),
    ("1h", "due within 1 hour"),
    ("1d", "due within 1 day"),
    ("none", "no deadline"),
]


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    return env


def _etag(text: str) -> str:
    return 'W/"' + hashlib.sha256(text.encode()).hexdigest()[:24] + '"'


class _Access:
    """Who is asking: a valid session, the API token in a header, or (no token) anyone."""

    def __init__(self, session: Session | None, cookie: str | None, bearer: bool) -> None:
        self.session = session
        self.cookie = cookie  # a new session's cookie, to set on the response
        self.bearer = bearer


class Inbox:
    def __init__(
        self,
        backend: Backend,
        api_token: str | None,
        *,
        poll_seconds: float,
        answer_wait: float,
    ) -> None:
        self.gc: GraphClient = backend.gc
        self.graphs = backend.catalog.graphs
        self.sessions = Sessions(api_token)
        self.env = _templates()
        self.poll_ms = int(poll_seconds * 1000)
        self.answer_wait = answer_wait
        # Resumes still waiting for the run's next pause: kept so they are not collected.
        self.sending: set[asyncio.Task[Any]] = set()

    async def send(self, thread_id: str, value: Any) -> tuple[int, str] | None:
        """Resume through GraphClient.resume (the validating resume update). A refusal comes
        back at once; an accepted answer returns when the run pauses again or ends, which may
        take long: after `answer_wait` the resume goes on in the background. Returns (status,
        message) when the answer was not taken (200: taken, but the run then failed)."""
        task = asyncio.create_task(self.gc.resume(thread_id, value))
        done, _ = await asyncio.wait({task}, timeout=self.answer_wait)
        if not done:
            self.sending.add(task)
            task.add_done_callback(functools.partial(self._sent, thread_id))
            return None
        exc = task.exception()
        if exc is None:
            return None
        if isinstance(exc, ResumeError):
            return 422, f"Refused: {exc}"
        if isinstance(exc, GraphRunError):
            return 200, f"The answer was taken, but the run then failed: {exc}"
        if isinstance(exc, TempographError):
            return 502, f"The answer could not be delivered: {exc}"
        raise exc

    def _sent(self, thread_id: str, task: asyncio.Task[Any]) -> None:
        self.sending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("inbox.resume_failed", thread_id=thread_id, error=str(task.exception()))

    # --- access --------------------------------------------------------------------------------

    def access(self, request: Request) -> _Access | None:
        """None: sign in first."""
        session = self.sessions.from_request(request)
        if session is not None:
            return _Access(session, None, False)
        if self.sessions.bearer(request):
            return _Access(None, None, True)
        if self.sessions.needs_login:
            return None
        session, cookie = self.sessions.new()
        return _Access(session, cookie, False)

    def page(
        self,
        request: Request,
        template: str,
        access: _Access | None,
        code: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        session = access.session if access else None
        html = self.env.get_template(template).render(
            csrf=session.csrf if session else "",
            can_logout=self.sessions.needs_login and session is not None,
            poll_ms=self.poll_ms,
            **context,
        )
        response = HTMLResponse(
            html, status_code=code, headers={**SECURITY_HEADERS, **(headers or {})}
        )
        if access and access.cookie:
            set_cookie(response, request, access.cookie)
        return response

    def to_login(self, request: Request) -> Response:
        if request.query_params.get("partial"):
            return Response(status_code=401, headers=SECURITY_HEADERS)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/inbox/login?{urlencode({'next': target})}", status_code=303)

    def forbidden(self, request: Request, message: str) -> HTMLResponse:
        return self.page(request, "message.html", None, 403, title="Refused", message=message)

    def post_check(self, request: Request, form: dict[str, str]) -> tuple[_Access | None, str]:
        """The access of a form POST and why it is refused ("" when it is not): a foreign
        Origin, no session, or a CSRF token that is not this session's."""
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
            return None, "This form was sent from another site."
        access = self.access(request)
        if access is None:
            return None, "Sign in first."
        if access.bearer:
            return access, ""  # a header a page on another site cannot send
        if access.cookie or not self.sessions.csrf_ok(access.session, form.get("csrf", "")):
            return None, "This form has expired (its CSRF token does not match): reload the page."
        return access, ""


async def _form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (the one encoding the inbox's forms use)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise AnswerError("The form is too large")
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _safe_next(target: str) -> str:
    """Only a path of the inbox (never another site) after signing in."""
    parts = urlsplit(target)
    ok = not parts.scheme and not parts.netloc and parts.path.startswith("/inbox")
    return target if ok and not target.startswith("//") and "\\" not in target else "/inbox"


def router(
    backend: Backend,
    api_token: str | None = None,
    *,
    poll_seconds: float = 2.0,
    answer_wait: float = 5.0,
) -> APIRouter:
    """The approvals inbox under /inbox. `api_token`: the API's token (None: open, as the API).
    `poll_seconds`: how often open pages look for changes. `answer_wait`: how long an answer
    waits for the run's verdict (a refusal comes at once; an accepted answer returns when the
    run pauses again or ends, or after this time, while the run goes on)."""
    inbox = Inbox(backend, api_token, poll_seconds=poll_seconds, answer_wait=answer_wait)
    api = APIRouter(include_in_schema=False)

    @api.get("/inbox/static/{name}")
    async def static(name: str) -> Response:
        if name not in STATIC:
            return Response(status_code=404)
        return Response(
            (HERE / "static" / name).read_bytes(),
            media_type=STATIC[name],
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    @api.get("/inbox/login")
    async def login_form(request: Request, next: str = "/inbox") -> Response:  # noqa: A002
        if not inbox.sessions.needs_login:
            return RedirectResponse(_safe_next(next), status_code=303)
        return inbox.page(request, "login.html", None, next=_safe_next(next), error="")

    @api.post("/inbox/login")
    async def login(request: Request) -> Response:
        form = await _form(request)
        target = _safe_next(form.get("next", "/inbox"))
        if not inbox.sessions.needs_login:
            return RedirectResponse(target, status_code=303)
        if not inbox.sessions.login(form.get("token", "")):
            log.info("inbox.login_refused")
            return inbox.page(
                request, "login.html", None, 401, next=target, error="That is not the API token."
            )
        _, cookie = inbox.sessions.new()
        response = RedirectResponse(target, status_code=303)
        set_cookie(response, request, cookie)
        return response

    @api.post("/inbox/logout")
    async def logout(request: Request) -> Response:
        access, refused = inbox.post_check(request, await _form(request))
        if refused:
            return inbox.forbidden(request, refused)
        response = RedirectResponse("/inbox/login", status_code=303)
        clear_cookie(response)
        return response

    @api.get("/inbox")
    async def listing(request: Request) -> Response:
        access = inbox.access(request)
        if access is None:
            return inbox.to_login(request)
        q = request.query_params
        try:
            filters = Filters(
                graph=q.get("graph", ""),
                min_age=q.get("min_age", ""),
                max_age=q.get("max_age", ""),
                deadline=q.get("deadline", ""),
                page=q.get("page", ""),
                size=int(q.get("size", "20")) if q.get("size", "20").isdigit() else 0,
            )
            filters.check(inbox.graphs)
            result = await list_page(inbox.gc, inbox.graphs, filters)
        except FilterError as exc:
            if q.get("partial"):
                return Response(str(exc), status_code=400, headers=SECURITY_HEADERS)
            return inbox.page(
                request, "list.html", access, 400, items=[], filters=Filters(), error=str(exc),
                graphs=inbox.graphs, deadline_options=DEADLINE_OPTIONS, poll_url="", etag="",
                next_url="", first_url="/inbox", sent="",
            )  # fmt: skip
        fragment = inbox.env.get_template("_items.html").render(items=result.items)
        etag = _etag(fragment)
        if q.get("partial"):
            if request.headers.get("if-none-match") == etag:
                return Response(status_code=304, headers={**SECURITY_HEADERS, "ETag": etag})
            return HTMLResponse(fragment, headers={**SECURITY_HEADERS, "ETag": etag})
        base = filters.params(page="")
        return inbox.page(
            request,
            "list.html",
            access,
            items=result.items,
            filters=filters,
            graphs=inbox.graphs,
            deadline_options=DEADLINE_OPTIONS,
            poll_url="/inbox?" + urlencode({**filters.params(), "partial": "1"}),
            etag=etag,
            next_url=("/inbox?" + urlencode({**base, "page": result.next_page}))
            if result.next_page
            else "",
            first_url="/inbox" + (f"?{urlencode(base)}" if base else ""),
            sent=q.get("sent", ""),
            error="",
        )

    async def item_state(thread_id: str) -> tuple[str, str, list[Card]] | None:
        """(graph, status, cards) of the thread, or None when it is not one of ours."""
        try:
            state = await inbox.gc.get_state(thread_id)
        except ThreadNotFoundError:
            return None
        if state.graph not in inbox.graphs:
            return None
        cards: list[Card] = []
        if state.status == "interrupted":
            cards = [
                card(p.id, p.node, p.value, p.response_schema, p.deadline, p.has_default)
                for p in state.interrupts
            ]
            if not cards:
                cards = [breakpoint_card(state.next, state.paused_at or "at")]
        return state.graph, state.status, cards

    def fingerprint(status: str, cards: list[Card]) -> str:
        return f"{status}:" + ",".join(f"{c.id}/{c.node}" for c in cards)

    async def render_item(
        request: Request,
        access: _Access,
        thread_id: str,
        status_code: int = 200,
        *,
        errors: dict[str, str] | None = None,
        submitted: dict[str, dict[str, str]] | None = None,
        problem: str = "",
    ) -> Response:
        found = await item_state(thread_id)
        if found is None:
            return inbox.page(
                request, "message.html", access, 404, title="Not found",
                message=f"No thread {thread_id!r} waits in this inbox.",
            )  # fmt: skip
        graph, status, cards = found
        return inbox.page(
            request,
            "item.html",
            access,
            status_code,
            thread_id=thread_id,
            graph=graph,
            status=status,
            cards=cards,
            errors=errors or {},
            submitted=submitted or {},
            problem=problem,
            poll_url=f"/inbox/{quote(thread_id, safe='')}?partial=1",
            etag=_etag(fingerprint(status, cards)),
        )

    @api.get("/inbox/{thread_id}")
    async def item(request: Request, thread_id: str) -> Response:
        access = inbox.access(request)
        if access is None:
            return inbox.to_login(request)
        if request.query_params.get("partial"):
            found = await item_state(thread_id)
            text = "gone" if found is None else fingerprint(found[1], found[2])
            etag = _etag(text)
            if request.headers.get("if-none-match") == etag:
                return Response(status_code=304, headers={**SECURITY_HEADERS, "ETag": etag})
            return Response(
                text, media_type="text/plain", headers={**SECURITY_HEADERS, "ETag": etag}
            )
        return await render_item(request, access, thread_id)

    @api.post("/inbox/{thread_id}")
    async def answer(request: Request, thread_id: str) -> Response:
        try:
            form = await _form(request)
        except AnswerError as exc:
            return inbox.forbidden(request, str(exc))
        access, refused = inbox.post_check(request, form)
        if access is None:
            return inbox.forbidden(request, refused)
        found = await item_state(thread_id)
        if found is None:
            return await render_item(request, access, thread_id)
        interrupt_id = form.get("interrupt_id", "")
        target = next((c for c in found[2] if c.id == interrupt_id), None)
        kept = {interrupt_id: {k: v for k, v in form.items() if k != "csrf"}}
        if target is None:
            return await render_item(
                request, access, thread_id, 409,
                problem="That question is not waiting any more (answered elsewhere?).",
            )  # fmt: skip
        try:
            if target.kind == "breakpoint":
                value: Any = None
            else:
                value = {target.id: build_answer(target, form)}
        except AnswerError as exc:
            return await render_item(
                request, access, thread_id, 422, errors={target.id: str(exc)}, submitted=kept
            )
        error = await inbox.send(thread_id, value)
        if error is not None and error[0] == 200:
            return await render_item(request, access, thread_id, problem=error[1])
        if error is not None:
            return await render_item(
                request, access, thread_id, error[0], errors={target.id: error[1]}, submitted=kept
            )
        log.info("inbox.answered", thread_id=thread_id, interrupt_id=target.id or None)
        return RedirectResponse("/inbox?" + urlencode({"sent": thread_id}), status_code=303)

    return api
