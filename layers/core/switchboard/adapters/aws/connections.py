"""Connections: kept-alive HTTP/1.1 connections to one endpoint, for LeanDynamoClient.

    connections = Connections("https://dynamodb.eu-west-1.amazonaws.com/", size=32)
    status, headers, body = connections.post(body, headers)

The standard library's http.client, one connection per call at a time, given back when the
answer has been read. urllib3's pool (which is http.client underneath) cost each DynamoDB
call about 0.14 ms more of the gateway's CPU (0.31 ms against 0.17 ms a call on loopback,
benchmarks/RESULTS.md), and every metered request makes two. What urllib3 did that matters
here is kept: a kept-alive connection that the server has closed meanwhile (an idle timeout)
is not used again, it is seen before the request is sent (the socket reads as ended), as
urllib3 sees it; TLS with the system's trust store and host name checking, as urllib3's
default context; a timeout on connecting and on every read. A failure while sending or
reading closes the connection and is raised as it is, for the client's retry policy (botocore
standard mode) to judge.
"""

from __future__ import annotations

import http.client
import select
import ssl
import threading
from typing import Any
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 60.0  # botocore's default connect and read timeouts


class Connections:
    def __init__(self, endpoint: str, *, size: int = 32, timeout: float = TIMEOUT_SECONDS) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) endpoint: {endpoint!r}")
        self.https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._size = size
        self._timeout = timeout
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None
        self.opened = 0  # connections made, for the tests

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, Any, bytes]:
        """The status, headers (case-insensitive `get`) and body of the answer."""
        connection = self._take()
        try:
            connection.request("POST", self._path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            self._give(connection)
        return response.status, response.headers, data

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _take(self) -> http.client.HTTPConnection:
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return self._open()
            if not _ended(connection):
                return connection
            connection.close()  # the server closed it while it was idle

    def _give(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self._size:
                self._idle.append(connection)
                return
        connection.close()

    def _open(self) -> http.client.HTTPConnection:
        self.opened += 1
        if not self.https:
            return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        if self._context is None:
            self._context = ssl.create_default_context()  # system CAs, host names checked
        return http.client.HTTPSConnection(
            self._host, self._port, timeout=self._timeout, context=self._context
        )


def _ended(connection: http.client.HTTPConnection) -> bool:
    """Whether an idle connection's socket reads as ready: the server closed it (or sent
    something unasked), so it cannot carry another request."""
    sock = connection.sock
    if sock is None:
        return True
    poll = select.poll()
    try:
        poll.register(sock, select.POLLIN)
        return bool(poll.poll(0))
    except (OSError, ValueError):
        return True
