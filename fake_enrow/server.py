"""The fake's HTTP server: Enrow's paths, auth and errors, plus a control API for tests.

Control endpoints (not part of Enrow) live under `/_fake/`:
- `GET /_fake/stats`: requests per batch or single search id, account info requests,
  requests in flight now and at most, faults served by kind, and the raw request targets
  (path and query exactly as sent);
- `POST /_fake/reset`: forget counts, faults and read progress;
- `POST /_fake/faults`: `{"<id or /account/info or POST /phone/bulk>": [fault, ...]}`
  queues faults, one per request.

`POST /phone/bulk` creates batches (see `fake_enrow.submissions`); its faults are keyed
`POST /phone/bulk`, and one with `after_create` is played once the batch exists (an
answer lost after Enrow created the batch and charged for it).
"""

from __future__ import annotations

import email.utils
import json
import socket
import threading
import time
import typing as t
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from typing_extensions import Self

from fake_enrow.data import DEMO_API_KEY, Catalog
from fake_enrow.submissions import Submissions

ERROR_MESSAGES = {
    "missing_id": (400, "Missing id in the query params"),
    "unknown_id": (400, "Could not retrieve bulk search results"),
    "no_key": (401, "No apikey found in the x-api-key headers"),
    "bad_key": (401, "This apikey is not valid"),
    "not_allowed": (401, "This account is not allowed to use the phone search feature"),
}
BULK_PATH = "/phone/bulk"
SINGLE_PATH = "/phone/single"
ACCOUNT_PATH = "/account/info"
SUBMIT_KEY = "POST /phone/bulk"


@dataclass
class Fault:
    """What one scripted request gets instead of (or on top of) the normal answer.

    - `status` with `body`: answer that status; a dict body is sent as JSON, a str as is
      (HTML, say), None sends the batch's normal document (a 200 with a slow answer).
    - `headers`: extra headers, e.g. {"Retry-After": "2"}.
    - `delay`: seconds to wait before answering (a slow answer, or a timeout).
    - `action`: "reset" closes the connection without an answer; "truncate" sends the
      normal document cut in half under a Content-Length for the whole of it.
    """

    status: int = 200
    body: dict[str, t.Any] | list[t.Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    action: str | None = None
    # POST /phone/bulk only: create the batch (and charge) first, then play the fault.
    after_create: bool = False

    @classmethod
    def from_dict(cls, raw: dict[str, t.Any]) -> Fault:
        """A fault from its JSON form in the control API."""
        return cls(**raw)

    @property
    def kind(self) -> str:
        """A short name for the fault, to count what a test suite injected."""
        if self.action == "reset":
            return "connection reset"
        if self.action == "truncate":
            return "truncated JSON body"
        if self.status == 200:
            if self.body is not None:
                return "200 not the documented shape"
            return "slow answer" if self.delay else "no fault"
        kind = f"HTTP {self.status}"
        if isinstance(self.body, str):
            kind += " with an HTML body"
        retry_after = self.headers.get("Retry-After", "")
        if retry_after:
            if retry_after.strip().isdigit():
                form = "seconds"
            elif email.utils.parsedate_tz(retry_after):
                form = "HTTP-date"
            else:
                form = f"{retry_after.strip()!r}: not seconds or a date"
            kind += f" with Retry-After ({form})"
        return kind


class FakeEnrowServer(ThreadingHTTPServer):
    """Serve the fake on a loopback port; `port=0` picks a free one."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(  # noqa: PLR0913
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        catalog: Catalog | None = None,
        api_keys: t.Iterable[str] = (DEMO_API_KEY,),
        latency: float = 0.0,
        phone_search_allowed: bool = True,
    ) -> None:
        """Bind the socket; call `start()` (a thread) or `serve_forever()`."""
        super().__init__((host, port), _Handler)
        self.catalog = catalog or Catalog()
        self.api_keys = set(api_keys)
        self.latency = latency
        self.phone_search_allowed = phone_search_allowed
        self._lock = threading.Lock()
        self.reset()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL to give the tap as api_url."""
        host, port = self.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        """Forget request counts, queued faults and how far each batch has progressed."""
        with self._lock:
            self.requests: Counter[str] = Counter()
            self.account_requests = 0
            self.in_flight = 0
            self.max_in_flight = 0
            self.faults: dict[str, deque[Fault]] = {}
            self.served_numbers: set[str] = set()
            self.faults_served: Counter[str] = Counter()
            # Request targets as they came on the wire, to check how ids are encoded.
            self.raw_targets: list[str] = []
            self.submissions = Submissions()

    def script(self, batch_id: str, *faults: Fault) -> None:
        """Queue faults for the next requests of one batch, one fault per request."""
        with self._lock:
            self.faults.setdefault(batch_id, deque()).extend(faults)

    def stats(self) -> dict[str, t.Any]:
        """Counts for assertions: requests per id, account reads, the in-flight high mark."""
        with self._lock:
            return {
                "requests": dict(self.requests),
                "account_requests": self.account_requests,
                "total_requests": sum(self.requests.values()) + self.account_requests,
                "in_flight": self.in_flight,
                "max_in_flight": self.max_in_flight,
                "faults_served": dict(self.faults_served),
                "raw_targets": list(self.raw_targets),
                "submitted_batches": self.submissions.batch_ids(),
                "submitted_searches": len(self.submissions.searches()),
            }

    def start(self) -> FakeEnrowServer:
        """Serve from a daemon thread (for tests)."""
        # A short poll interval makes `stop()` (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=self.serve_forever, args=(0.02,), name="fake-enrow", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()

    def __enter__(self) -> Self:
        """Serve while the `with` block runs."""
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop serving."""
        self.stop()

    # Bookkeeping for the handler threads.
    def begin_request(self, batch_id: str, raw_target: str) -> tuple[int, Fault | None]:
        """Count a request; return which read of the batch it is and its scripted fault."""
        with self._lock:
            self.raw_targets.append(raw_target)
            if batch_id == ACCOUNT_PATH:
                self.account_requests += 1
                read_number = self.account_requests
            else:
                self.requests[batch_id] += 1
                read_number = self.requests[batch_id]
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            queue = self.faults.get(batch_id)
            fault = queue.popleft() if queue else None
            if fault is not None:
                self.faults_served[fault.kind] += 1
            return read_number, fault

    def end_request(self) -> None:
        """A request was answered (or dropped)."""
        with self._lock:
            self.in_flight -= 1

    def record_served(self, document: object) -> None:
        """Remember the phone numbers served, for the tests that look for leaks.

        Any `number` string anywhere in the body counts, so scripted bodies of any shape
        (malformed ones included) are covered too.
        """
        numbers: set[str] = set()
        pending = [document]
        while pending:
            node = pending.pop()
            if isinstance(node, dict):
                number = node.get("number")
                if isinstance(number, str) and number:
                    numbers.add(number)
                pending.extend(node.values())
            elif isinstance(node, list):
                pending.extend(node)
        self.record_numbers(numbers)

    def record_numbers(self, numbers: t.AbstractSet[str]) -> None:
        """Remember phone numbers served in an answer sent already encoded."""
        with self._lock:
            self.served_numbers |= numbers


class _Handler(BaseHTTPRequestHandler):
    server: FakeEnrowServer
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API behind its proxy
    # Headers and body go out in separate writes; with Nagle's algorithm the body then
    # waits for the client's delayed ACK (about 40 ms), a delay the real API has not.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet: tests and benchmarks read their own output."""

    def do_GET(self) -> None:
        """Serve Enrow's read endpoints like Enrow, and the fake's stats."""
        parts = urlsplit(self.path)
        item_id = (parse_qs(parts.query).get("id") or [""])[0]
        if parts.path == "/_fake/stats":
            self._json(200, self.server.stats())
        elif parts.path == ACCOUNT_PATH:
            self._serve(ACCOUNT_PATH, self._account_answer, needs_phone_search=False)
        elif parts.path not in {BULK_PATH, SINGLE_PATH}:
            self._json(404, {"message": "Not found"})
        elif not item_id:
            self._error("missing_id")
        elif parts.path == BULK_PATH:
            self._serve(item_id, self._bulk_answer)
        else:
            self._serve(item_id, self._single_answer)

    def _serve(
        self,
        subject: str,
        answer: t.Callable[[str, int], tuple[int, dict[str, t.Any] | bytes]],
        *,
        needs_phone_search: bool = True,
    ) -> None:
        """Count the request, play its scripted fault if any, else answer like Enrow."""
        read_number, fault = self.server.begin_request(subject, self.path)
        try:
            time.sleep(self.server.latency + (fault.delay if fault else 0.0))
            if fault and fault.action == "reset":
                self._reset_connection()
            elif fault and (fault.status != 200 or fault.body is not None):
                self.server.record_served(fault.body)
                self._send(fault.status, fault.body, fault.headers)
            elif self._authorised(needs_phone_search=needs_phone_search):
                status, document = answer(subject, read_number)
                body = document if isinstance(document, bytes) else json.dumps(document).encode()
                if fault and fault.action == "truncate":
                    self._send_truncated(body)
                else:
                    self._send(status, body, fault.headers if fault else {})
        finally:
            self.server.end_request()

    def _bulk_answer(self, batch_id: str, read_number: int) -> tuple[int, dict[str, t.Any] | bytes]:
        if generated := self.server.catalog.generated_answer(batch_id):
            body, numbers = generated
            self.server.record_numbers(numbers)
            return 200, body
        batch = self.server.catalog.get(batch_id)
        if batch is None:
            return ERROR_MESSAGES["unknown_id"][0], {"message": ERROR_MESSAGES["unknown_id"][1]}
        document = batch.document(read_number)
        self.server.record_served(document)
        return 200, document

    def _single_answer(self, search_id: str, read_number: int) -> tuple[int, dict[str, t.Any]]:
        search = self.server.catalog.get_single(search_id)
        if search is None:
            # Documented: an unknown single search id answers 500, like a server fault.
            return 500, {"message": "Internal server error"}
        status, document = search.answer(read_number)
        self.server.record_served(document)
        return status, document

    def _account_answer(self, _subject: str, _read_number: int) -> tuple[int, dict[str, t.Any]]:
        return 200, dict(self.server.catalog.account)

    def do_POST(self) -> None:
        """`POST /phone/bulk` like Enrow; the control API: reset, and scripted faults."""
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if parts.path == BULK_PATH:
            self._submit(raw)
            return
        payload = json.loads(raw or b"{}")
        if parts.path == "/_fake/reset":
            self.server.reset()
            self._json(200, {"ok": True})
        elif parts.path == "/_fake/faults":
            for batch_id, faults in payload.items():
                self.server.script(batch_id, *(Fault.from_dict(f) for f in faults))
            self._json(200, {"ok": True})
        else:
            self._json(404, {"message": "Not found"})

    def _submit(self, raw: bytes) -> None:
        """Create a batch from the searches, unless a scripted fault comes first."""
        _, fault = self.server.begin_request(SUBMIT_KEY, self.path)
        if fault is not None and fault.kind == "no fault":
            fault = None
        try:
            time.sleep(self.server.latency)
            before = fault is not None and not fault.after_create
            if before and fault is not None:
                self._play(fault)
                return
            if not self._authorised():
                return
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                self._json(400, {"message": "Invalid JSON input"})
                return
            status, answer, batch = self.server.submissions.create(
                payload, self.server.catalog.account
            )
            if batch is not None:
                self.server.catalog.add(batch)
            if fault is not None:
                self._play(fault)
            else:
                self._json(status, answer)
        finally:
            self.server.end_request()

    def _play(self, fault: Fault) -> None:
        time.sleep(fault.delay)
        if fault.action == "reset":
            self._reset_connection()
        elif fault.status != 200 or fault.body is not None:
            self._send(fault.status, fault.body, fault.headers)
        else:
            # A delay alone: the client has given up by now; answer nothing.
            self.close_connection = True

    def _authorised(self, *, needs_phone_search: bool = True) -> bool:
        key = self.headers.get("x-api-key")
        if not key:
            self._error("no_key")
            return False
        if key not in self.server.api_keys:
            self._error("bad_key")
            return False
        if needs_phone_search and not self.server.phone_search_allowed:
            self._error("not_allowed")
            return False
        return True

    def _error(self, name: str) -> None:
        status, message = ERROR_MESSAGES[name]
        self._json(status, {"message": message})

    def _json(self, status: int, body: object) -> None:
        self._send(status, json.dumps(body).encode(), {})

    def _send(self, status: int, body: object, headers: dict[str, str]) -> None:
        if isinstance(body, bytes):
            data, ctype = body, "application/json"
        elif isinstance(body, str):
            data, ctype = body.encode(), "text/html; charset=utf-8"
        else:
            data, ctype = json.dumps(body).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", headers.get("Content-Type", ctype))
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            if name != "Content-Type":
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_truncated(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _reset_connection(self) -> None:
        # SO_LINGER 0 makes close() send a TCP RST: a real "connection reset by peer".
        self.connection.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
        self.close_connection = True
        self.connection.close()
