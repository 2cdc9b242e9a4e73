"""A hostile HTTP server for the reliability suite: answers that trickle in a byte at a time.

The fake Enrow API answers whole or not at all; this server answers the first batch
requests one byte at a time (the headers, or the body), then properly, and the account
read at once. It listens on loopback only, and stops trickling when the test leaves its
`with` block, so a test never hangs on it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import typing as t

if t.TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self


ACCOUNT = b'{"credits": 1000}'


def _whole_answer(body: bytes) -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def completed_batch(batch_id: str, size: int) -> bytes:
    """A small, well-formed answer of a completed batch with no phone number in it."""
    results = [{"index": i, "qualification": "not_found"} for i in range(size)]
    document = {
        "general": {"id": batch_id, "status": "completed"},
        "stats": {"requested": size, "found": 0},
        "results": results,
    }
    return json.dumps(document).encode()


class TrickleServer:
    """Serve `GET /phone/bulk`: the first `trickled` requests a byte per `gap` seconds.

    `part` is what trickles: "body" (headers at once, then the body byte by byte) or
    "headers" (the status line and headers byte by byte too). `stopped_early` counts the
    trickled answers the client hung up on before their last byte.
    """

    def __init__(self, body: bytes, *, trickled: int, part: str = "body", gap: float = 0.2) -> None:
        """Bind a loopback port; `start` on entering the `with` block."""
        self._body = body
        self._trickled = trickled
        self._part = part
        self._gap = gap
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._lock = threading.Lock()
        self.requests = 0
        self.stopped_early = 0
        self.finished_trickles = 0

    @property
    def url(self) -> str:
        """The api_url to give the tap."""
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                request = conn.recv(65536)
            except OSError:
                return
            if not request:
                return
            if request.startswith(b"GET /account/info"):
                conn.sendall(_whole_answer(ACCOUNT))
                return
            with self._lock:
                self.requests += 1
                trickle = self.requests <= self._trickled
            answer = _whole_answer(self._body)
            if not trickle:
                conn.sendall(answer)
                return
            at_once = answer[: len(answer) - len(self._body)] if self._part == "body" else b""
            conn.sendall(at_once)
            self._trickle(conn, answer[len(at_once) :])

    def _trickle(self, conn: socket.socket, data: bytes) -> None:
        for offset in range(len(data)):
            if self._stop.is_set():
                return
            try:
                conn.sendall(data[offset : offset + 1])
            except OSError:
                with self._lock:
                    self.stopped_early += 1
                return
            time.sleep(self._gap)
        with self._lock:
            self.finished_trickles += 1
