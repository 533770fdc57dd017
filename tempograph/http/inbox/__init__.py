"""The approvals inbox: /inbox on the HTTP server lists the runs waiting for a human and answers
them with forms (server-rendered HTML; inbox.js refreshes the pages live). Same token as the
API: a browser signs in once with it and gets a session cookie."""

from tempograph.http.inbox._routes import router

__all__ = ["router"]
