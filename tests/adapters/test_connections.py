"""Connections (the lean DynamoDB client's kept-alive HTTP/1.1 connections) against a
loopback server: a connection is kept and used again; one the server closed while it was
idle, or said it would close, is not; a failure closes it and is raised; TLS checks hosts."""

from __future__ import annotations

import http.client
import select
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from switchboard.adapters.aws.connections import Connections


class Server:
    def __init__(self) -> None:
        self.close_after_answer = False  # hang up once answered, as an idle timeout would
        self.say_close = False  # answer with Connection: close
        self.peers: list[int] = []  # the client port of each request


@pytest.fixture
def server() -> Iterator[tuple[Server, str]]:
    state = Server()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            hang_up = state.close_after_answer  # read before the client has its answer
            state.peers.append(self.client_address[1])
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Echo-Host", self.headers["Host"])
            if state.say_close:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            if hang_up:
                self.wfile.flush()
                self.close_connection = True

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield state, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


def test_a_connection_is_kept_and_used_again(server: tuple[Server, str]) -> None:
    state, url = server
    connections = Connections(url)
    for n in range(3):
        status, headers, body = connections.post(b"x%d" % n, {"Content-Type": "text/plain"})
        assert (status, body) == (200, b"x%d" % n)
        assert headers.get("x-echo-host") == url.removeprefix("http://").rstrip("/")
    assert connections.opened == 1 and len(set(state.peers)) == 1
    connections.close()


def test_one_the_server_closed_while_idle_is_not_used(server: tuple[Server, str]) -> None:
    state, url = server
    connections = Connections(url)
    state.close_after_answer = True
    connections.post(b"a", {})
    state.close_after_answer = False
    (idle,) = connections._idle
    poll = select.poll()
    poll.register(idle.sock, select.POLLIN)
    assert poll.poll(5000)  # the server's side has closed it
    status, _, body = connections.post(b"b", {})
    assert (status, body) == (200, b"b")
    assert connections.opened == 2 and len(set(state.peers)) == 2


def test_one_the_server_said_it_would_close_is_not_kept(server: tuple[Server, str]) -> None:
    state, url = server
    state.say_close = True
    connections = Connections(url)
    connections.post(b"a", {})
    assert connections._idle == []
    connections.post(b"b", {})
    assert connections.opened == 2


def test_a_failure_closes_the_connection_and_is_raised() -> None:
    connections = Connections("http://127.0.0.1:9/")  # the discard port: nothing listens
    with pytest.raises(OSError):
        connections.post(b"a", {})
    assert connections._idle == []


def test_no_more_than_size_idle_connections_are_kept(server: tuple[Server, str]) -> None:
    _, url = server
    connections = Connections(url, size=2)
    taken = [connections._take() for _ in range(3)]
    for connection in taken:
        connection.connect()
        connections._give(connection)
    assert len(connections._idle) == 2 and taken[2].sock is None  # the third was closed
    connections.close()
    assert connections._idle == []


def test_https_checks_certificates_and_host_names() -> None:
    connections = Connections("https://dynamodb.eu-west-1.amazonaws.com/")
    connection = connections._open()  # made, not connected
    assert isinstance(connection, http.client.HTTPSConnection)
    context = connection._context  # type: ignore[attr-defined]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert connection.host == "dynamodb.eu-west-1.amazonaws.com" and connection.port == 443


def test_an_endpoint_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="not an http"):
        Connections("ftp://example.com/")
