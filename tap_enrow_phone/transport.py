"""The HTTP session under the client: it keeps the key at api_url's origin and bounds time.

Two guarantees hold here, below any method the client sends, so a new endpoint or verb
gets them without a word:

- Origin: every request must go to api_url's scheme, host and port, and redirects are
  never followed. requests would follow one with `x-api-key` still attached (it drops
  only `Authorization` when the host changes), so a 3xx ends in `RedirectRefusedError`
  naming where it pointed; Enrow's API documents no redirect, so none is worth trusting.
- Time: `timeout` bounds a whole answer (connecting, the status line, the headers and
  the complete body), not just the gap between two bytes, so a server trickling bytes
  cannot hold a run. A watchdog shuts the connection's socket down at the deadline.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import typing as t
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from urllib3 import PoolManager

# How often the watchdog looks again at a request past its deadline whose socket is not
# open yet (still connecting): the connect timeout bounds that phase anyway.
_RECHECK = 0.05


class RedirectRefusedError(Exception):
    """The API answered with a redirect, which is never followed."""

    def __init__(self, status: int, target: str) -> None:
        """`target` is where the redirect pointed: scheme, host and port only."""
        super().__init__(f"HTTP {status} redirect to {target}")
        self.status = status
        self.target = target


class WholeAnswerTimeoutError(requests.Timeout):
    """The complete answer did not arrive within the timeout."""


class OffOriginError(Exception):
    """A request was about to leave api_url's origin; it was not sent."""


def origin(url: str) -> str:
    """`scheme://host:port` of a URL, lower-cased, with the default port made explicit."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def _target(url: str, location: str) -> str:
    """Where a redirect points, for a log line: scheme, host and port, never path or query."""
    if not location:
        return "nowhere (no Location header)"
    try:
        parts = urlsplit(urljoin(url, location))
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "an address that is not a URL"
    shown = f"{parts.scheme[:10]}://{(parts.hostname or '?')[:100]}{port}"
    # The host comes from the server: keep control characters out of the log line.
    return shown.encode("unicode_escape").decode("ascii")


class _Watch:
    """One request's deadline, and the connection it is using."""

    def __init__(self) -> None:
        self.connection: HTTPConnection | None = None
        # Kept apart: http.client lets go of `connection.sock` once the answer says
        # "Connection: close", while the body is still read from that socket.
        self.sock: socket.socket | None = None
        self.expired = False
        self.finished = threading.Event()

    def expire(self) -> None:
        """Cut the request off: shut its socket down until the request lets go."""
        self.expired = True
        while not self.finished.is_set():
            sock = self.sock or (self.connection.sock if self.connection is not None else None)
            if sock is not None:
                # A blocked recv() returns at once on a shut-down socket; the request
                # then fails inside requests, and `send` reports the timeout.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self.finished.wait(_RECHECK)


_CURRENT = threading.local()


class _WatchedConnectionMixin:
    """A urllib3 connection that tells the current request's watch it is in use."""

    def request(self, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: ANN401 - urllib3's
        watch: _Watch | None = getattr(_CURRENT, "watch", None)
        connection = t.cast("HTTPConnection", self)
        if watch is not None:
            watch.connection = connection
        super().request(*args, **kwargs)  # type: ignore[misc]
        if watch is not None:
            watch.sock = connection.sock


class _WatchedHTTPConnection(_WatchedConnectionMixin, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnectionMixin, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    """The pooled adapter, with connections the watchdog can cut off."""

    def init_poolmanager(self, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: ANN401
        super().init_poolmanager(*args, **kwargs)
        manager: PoolManager = self.poolmanager
        manager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class OriginBoundSession(requests.Session):
    """A session that sends only to one origin, follows no redirect, and bounds time."""

    def __init__(self, api_url: str, *, timeout: float, pool_size: int) -> None:
        """Pool up to `pool_size` connections to `api_url`'s origin; nothing sent yet."""
        super().__init__()
        self._origin = origin(api_url)
        self._timeout = timeout
        # Certificate verification stays on (REQUESTS_CA_BUNDLE may still add a CA).
        self.verify = True
        adapter = _WatchedAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1))
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def send(self, request: requests.PreparedRequest, **kwargs: t.Any) -> requests.Response:  # noqa: ANN401
        """Send within the origin and the deadline; a redirect raises, never followed."""
        if request.url is None or origin(request.url) != self._origin:
            msg = "a request outside api_url's origin was not sent"
            raise OffOriginError(msg)
        kwargs["allow_redirects"] = False
        kwargs["stream"] = False  # the body is read inside the watched call
        kwargs["timeout"] = self._timeout
        if kwargs.get("verify") is False:
            kwargs["verify"] = True
        with self._watched() as watch:
            try:
                # Without `stream`, requests reads the whole body inside this call.
                response = super().send(request, **kwargs)
            except requests.RequestException:
                if watch.expired:
                    raise self._timed_out() from None
                raise
            if watch.expired:
                response.close()
                raise self._timed_out()
        if response.is_redirect or 300 <= response.status_code < 400:  # noqa: PLR2004
            location = response.headers.get("Location") or ""
            response.close()
            raise RedirectRefusedError(response.status_code, _target(request.url, location))
        return response

    def resolve_redirects(self, *_args: t.Any, **_kwargs: t.Any) -> Iterator[t.Any]:  # noqa: ANN401
        """Nothing: no redirect is ever followed, nor its Location even parsed here.

        requests prepares the next hop even with `allow_redirects=False`, and a
        Location that is not a URL would raise from inside `send`.
        """
        return iter(())

    def _timed_out(self) -> WholeAnswerTimeoutError:
        return WholeAnswerTimeoutError(f"no complete answer within {self._timeout:g} s")

    @contextlib.contextmanager
    def _watched(self) -> Iterator[_Watch]:
        watch = _Watch()
        timer = threading.Timer(self._timeout, watch.expire)
        timer.daemon = True
        _CURRENT.watch = watch
        timer.start()
        try:
            yield watch
        finally:
            _CURRENT.watch = None
            watch.finished.set()
            timer.cancel()
