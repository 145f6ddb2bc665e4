"""Fault injection for tests: scripted failures of upcoming requests and connections.

Faults are queued and matched by HTTP method (optional) and URL path prefix; each one
applies to ``count`` matching requests, oldest fault first. The pure engine applies
what it can (a canned status reply, a malformed body); ``delay`` and ``drop`` are
returned in :class:`Outcome` for the adapter (in-memory transport, HTTP server) to
carry out, since only an adapter can wait or break a connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..http import Response


class DropConnection(Exception):
    """The adapter must fail the connection instead of answering."""


@dataclass
class HttpFault:
    """One scripted fault.

    - ``status`` (with ``body``/``headers``): answer this instead of processing the
      request (the exchange never sees it). ``retry_after`` adds a ``retry-after``
      header. Without ``body`` a JSON ``{"code", "message"}`` body is made up.
    - ``malformed``: process the request, then replace the reply body with ``body``
      (default: truncated JSON).
    - ``delay``: seconds the adapter waits before delivering the reply.
    - ``drop``: the adapter fails the connection; with ``after=True`` the request is
      processed first (the reply is lost), else it never reaches the exchange.
    """

    path_prefix: str
    method: str | None = None
    status: int | None = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float | None = None
    malformed: bool = False
    delay: float = 0.0
    drop: bool = False
    after: bool = False
    count: int = 1

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request.

        Args:
            method: the request's HTTP method.
            path: the request's URL path.

        Returns:
            True when the method (if set) and the path prefix match.
        """
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return path.startswith(self.path_prefix)


@dataclass
class Outcome:
    """What an adapter must do with one request: deliver ``response`` after ``delay``
    seconds, or fail the connection when ``drop`` is set (``response`` is then the
    reply that was lost, or None when the request never reached the exchange)."""

    response: Response | None
    delay: float = 0.0
    drop: bool = False


_DEFAULT_MESSAGES = {
    429: (1003, "Rate limit exceeded"),
    500: (1000, "Internal server error"),
    502: (1000, "Bad gateway"),
    503: (1000, "Service unavailable"),
}


class Faults:
    """The queue of scripted faults of one exchange."""

    def __init__(self) -> None:
        self.http: list[HttpFault] = []
        self.ws_connect_failures = 0

    def add(self, fault: HttpFault) -> HttpFault:
        """Queue a fault.

        Args:
            fault: the fault.

        Returns:
            The same fault.
        """
        self.http.append(fault)
        return fault

    def status(
        self,
        path_prefix: str,
        status: int,
        *,
        body: bytes | None = None,
        retry_after: float | None = None,
        method: str | None = None,
        count: int = 1,
        headers: dict[str, str] | None = None,
    ) -> HttpFault:
        """Answer the next ``count`` matching requests with ``status`` (the exchange never sees
        them).

        Args:
            path_prefix: the URL paths it applies to (``"/v1/session/actions"``...).
            status: the HTTP status.
            body: the reply body (default: a JSON ``{"code", "message"}`` matching the status).
            retry_after: adds a ``retry-after`` header, in seconds.
            method: only requests with this HTTP method (None: any).
            count: how many matching requests it applies to.
            headers: more reply headers.

        Returns:
            The queued fault.
        """
        return self.add(
            HttpFault(
                path_prefix,
                method=method,
                status=status,
                body=body,
                retry_after=retry_after,
                count=count,
                headers=dict(headers or {}),
            )
        )

    def delay(
        self, path_prefix: str, seconds: float, *, method: str | None = None, count: int = 1
    ) -> HttpFault:
        """Delay the replies of the next ``count`` matching requests.

        Args:
            path_prefix: the URL paths it applies to.
            seconds: how long the adapter waits before delivering the reply.
            method: only requests with this HTTP method (None: any).
            count: how many matching requests it applies to.

        Returns:
            The queued fault.
        """
        return self.add(HttpFault(path_prefix, method=method, delay=seconds, count=count))

    def drop(
        self,
        path_prefix: str,
        *,
        after: bool = False,
        method: str | None = None,
        count: int = 1,
    ) -> HttpFault:
        """Fail the connection of the next ``count`` matching requests.

        Args:
            path_prefix: the URL paths it applies to.
            after: process the request first (the reply is lost); else it never reaches the
                exchange.
            method: only requests with this HTTP method (None: any).
            count: how many matching requests it applies to.

        Returns:
            The queued fault.
        """
        return self.add(HttpFault(path_prefix, method=method, drop=True, after=after, count=count))

    def malformed(
        self,
        path_prefix: str,
        body: bytes = b'{"tx_id": "0x',
        *,
        method: str | None = None,
        count: int = 1,
    ) -> HttpFault:
        """Process the next ``count`` matching requests but garble their reply bodies.

        Args:
            path_prefix: the URL paths it applies to.
            body: the body sent instead (default: truncated JSON).
            method: only requests with this HTTP method (None: any).
            count: how many matching requests it applies to.

        Returns:
            The queued fault.
        """
        return self.add(
            HttpFault(path_prefix, method=method, malformed=True, body=body, count=count)
        )

    def reject_ws_connects(self, count: int = 1) -> None:
        """Make the next ``count`` WebSocket connection attempts fail.

        Args:
            count: how many.
        """
        self.ws_connect_failures += count

    def clear(self) -> None:
        """Forget every queued fault."""
        self.http.clear()
        self.ws_connect_failures = 0

    def take(self, method: str, path: str) -> HttpFault | None:
        """The first fault matching a request, consuming one of its uses.

        Args:
            method: the request's HTTP method.
            path: the request's URL path.

        Returns:
            The fault, or None when none matches.
        """
        for index, fault in enumerate(self.http):
            if fault.matches(method, path):
                fault.count -= 1
                if fault.count <= 0:
                    del self.http[index]
                return fault
        return None

    def take_ws_connect(self) -> bool:
        """Whether a WebSocket connect must fail (consuming one scripted refusal).

        Returns:
            True when it must fail.
        """
        if self.ws_connect_failures > 0:
            self.ws_connect_failures -= 1
            return True
        return False


def canned_response(fault: HttpFault) -> Response:
    """The reply of a ``status`` fault.

    Args:
        fault: a fault with a ``status``.

    Returns:
        The reply: the fault's body and headers, or a JSON error body matching the status.
    """
    assert fault.status is not None
    headers = {k.lower(): v for k, v in fault.headers.items()}
    if fault.retry_after is not None:
        value = fault.retry_after
        headers["retry-after"] = str(int(value)) if float(value).is_integer() else str(value)
    if fault.body is not None:
        body = fault.body
        headers.setdefault("content-type", "text/plain")
    else:
        code, message = _DEFAULT_MESSAGES.get(fault.status, (1000, f"HTTP {fault.status}"))
        body = b'{"code":%d,"message":"%s"}' % (code, message.encode())
        headers.setdefault("content-type", "application/json")
    return Response(fault.status, body, headers)
