"""The sending half of :class:`~o2_core.api.O2Api`: its transport, retries and decoding.

:meth:`ApiBase.send` sends a request with the retries :class:`~o2_core.policy.RetryPolicy`
decides, logging each attempt (method, path, status, milliseconds; never a query, header
or body); :meth:`ApiBase.fetch` decodes the success. anyio only (sleeps between retries);
it opens no socket itself.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio

from . import http
from .config import NetworkConfig
from .errors import InvalidInput, TransportError, UnknownSubmissionOutcome, UsageError
from .http import Reply, Request
from .policy import Raise, Retry, RetryPolicy
from .replies import Decoder
from .transport import Transport, default_transport, transport_factories

#: The SDK's REST log (o2-sdk's module name: ``o2_core.api``).
logger = logging.getLogger("o2_core.api")

T = TypeVar("T")


def _over_client_session(session: Any) -> Transport:
    """The installed aiohttp transport over a caller's ``aiohttp.ClientSession``."""
    factory: Callable[..., Transport] | None = transport_factories().get("aiohttp")
    if factory is None:
        raise UsageError(
            f"O2Api got a {type(session).__name__} as its session, which needs the aiohttp "
            "transport (o2_transport_aiohttp); pass transport= instead"
        )
    return factory(session)


class ApiBase:
    """A transport, a retry policy and timeouts: what every ``O2Api`` endpoint sends with.

    The arguments are :class:`~o2_core.api.O2Api`'s.

    Args:
        config: the deployment's endpoints.
        session: a :class:`~o2_core.transport.Transport`, or an ``aiohttp.ClientSession``.
        action_timeout_seconds: seconds a signed submission may take (one attempt).
        transport: a :class:`~o2_core.transport.Transport` (instead of ``session``).
        transport_factory: makes the transport on first use when none is given.
        policy: retries and backoff.
        request_timeout: seconds a read may take, per attempt.
        rand: random floats in [0, 1) for the retry jitter.

    Raises:
        InvalidInput: a non-positive timeout, or both ``session`` and ``transport``.
        UsageError: an aiohttp session without the aiohttp transport installed.
    """


    def __init__(
        self,
        config: NetworkConfig,
        session: Transport | Any = None,
        action_timeout_seconds: float = 30.0,
        *,
        transport: Transport | None = None,
        transport_factory: Callable[[], Transport] | None = None,
        policy: RetryPolicy | None = None,
        request_timeout: float = 10.0,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if not request_timeout > 0 or not action_timeout_seconds > 0:
            raise InvalidInput("timeouts must be greater than zero")
        if session is not None and transport is not None:
            raise InvalidInput("give a session or a transport, not both")
        if session is not None and not isinstance(session, Transport):
            transport = _over_client_session(session)
        elif session is not None:
            transport = session
        self.config = config
        self._transport = transport
        self._transport_factory = transport_factory
        self.policy = policy if policy is not None else RetryPolicy()
        self.request_timeout = request_timeout
        self.action_timeout = action_timeout_seconds
        self._rand = rand

    @property
    def transport(self) -> Transport:
        """The transport requests travel over (the default one is made on first use)."""
        if self._transport is None:
            factory = self._transport_factory
            self._transport = (
                factory() if factory is not None else default_transport(self.config.api_base)
            )
        return self._transport

    @property
    def has_transport(self) -> bool:
        """True once a transport exists (given, or made by a first request)."""
        return self._transport is not None

    async def close(self) -> None:
        """Close the transport (if one was ever made)."""
        if self._transport is not None:
            await self._transport.aclose()

    # --- sending ---------------------------------------------------------------------

    async def send(self, request: Request, timeout: float | None = None) -> Reply:
        """Send ``request`` with the policy's retries.

        Args:
            request: the request (``idempotent`` decides whether a lost reply is retried).
            timeout: seconds one attempt may take (default: ``request_timeout``).

        Returns:
            The success reply.

        Raises:
            O2Error: the error the last reply stands for, or the transport's failure
                (``UnknownSubmissionOutcome`` for a signed submission without reply).
        """
        timeout = self.request_timeout if timeout is None else timeout
        attempt = 0
        path = urlsplit(request.url).path  # never the query, headers or body: no secrets
        while True:
            outcome: Reply | TransportError
            started = anyio.current_time()
            try:
                outcome = http.classify(await self.transport.request(request, timeout))
            except TransportError as err:
                outcome = err
            if logger.isEnabledFor(logging.DEBUG):
                status = outcome.response.status if isinstance(outcome, Reply) else "no reply"
                elapsed = (anyio.current_time() - started) * 1000
                logger.debug("%s %s -> %s in %.1f ms", request.method, path, status, elapsed)
            decision = self.policy.decide(request, attempt, outcome, self._rand())
            if isinstance(decision, Retry):
                reason = outcome.error if isinstance(outcome, Reply) else outcome
                delay = decision.delay
                logger.info("%s %s failed (%s); retry in %.2fs", request.method, path, reason,
                            delay)
                attempt += 1
                await anyio.sleep(decision.delay)
            elif isinstance(decision, Raise):
                if isinstance(decision.error, UnknownSubmissionOutcome):
                    logger.warning("%s %s: outcome unknown, not re-sent: %s",
                                   request.method, path, outcome)
                if decision.error is outcome or not isinstance(outcome, TransportError):
                    raise decision.error
                raise decision.error from outcome
            else:
                assert isinstance(outcome, Reply)
                return outcome

    async def fetch(self, request: Request, decoder: Decoder[T]) -> T:
        """Send ``request`` and decode its success reply with ``decoder``.

        Args:
            request: the request.
            decoder: turns the reply's body into the result.

        Returns:
            What ``decoder`` returns.

        Raises:
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        return decoder((await self.send(request)).response.body)
