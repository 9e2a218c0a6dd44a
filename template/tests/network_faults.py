"""Dependencies that stop answering, for the deadline tests: a black hole that accepts
connections and never answers, and a proxy in front of a real server that forwards bytes
until it is paused, then holds them without closing anything (a network partition, or a
`docker pause` of the server, as the service sees it)."""

import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit, urlunsplit

POLL_SECONDS = 0.05
"""How often an idle forwarding thread looks at whether the proxy was closed."""


def wait_until(condition: Callable[[], bool], *, within: float, what: str) -> None:
    """Poll `condition` until it holds; fail naming `what` once `within` seconds passed."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:g} s waiting for {what}")
        time.sleep(POLL_SECONDS)


class BlackHole:
    """A TCP server that accepts every connection and never sends a byte."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._accepted: list[socket.socket] = []
        self._closed = threading.Event()
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            readable, _, _ = select.select([self._listener], [], [], POLL_SECONDS)
            if readable:
                connection, _ = self._listener.accept()
                self._accepted.append(connection)  # held open, never read

    def close(self) -> None:
        self._closed.set()
        self._accepting.join()  # before its socket closes under it
        for connection in [self._listener, *self._accepted]:
            connection.close()


class PausableProxy:
    """Forwards TCP between its clients and `upstream` until `pause()`; from then on the
    bytes stay where they are, on both sides, until `resume()`."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._forwarding = threading.Event()
        self._forwarding.set()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def pause(self) -> None:
        self._forwarding.clear()

    def resume(self) -> None:
        self._forwarding.set()

    def url_for(self, url: str) -> str:
        """`url` with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@" if credentials else ""
        return urlunsplit(parts._replace(netloc=f"{netloc}127.0.0.1:{self.port}"))

    def _accept(self) -> None:
        while not self._closed.is_set():
            readable, _, _ = select.select([self._listener], [], [], POLL_SECONDS)
            if not readable:
                continue
            client, _ = self._listener.accept()
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()  # the real server refused: so does the proxy
                continue
            self._sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        with suppress(OSError, ValueError):  # either side closed, or the proxy was
            while not self._closed.is_set():
                readable, _, _ = select.select([source], [], [], POLL_SECONDS)
                if not readable:
                    continue
                data = source.recv(65536)
                if not data:
                    target.shutdown(socket.SHUT_WR)
                    return
                while not self._forwarding.wait(POLL_SECONDS):  # paused: hold the bytes
                    if self._closed.is_set():
                        return
                target.sendall(data)

    def close(self) -> None:
        self._closed.set()
        self._forwarding.set()
        self._accepting.join()
        for connection in [self._listener, *self._sockets]:
            connection.close()


@contextmanager
def black_hole() -> Iterator[BlackHole]:
    hole = BlackHole()
    try:
        yield hole
    finally:
        hole.close()


@contextmanager
def pausable_proxy(url: str, default_port: int) -> Iterator[PausableProxy]:
    """A proxy in front of the server `url` names."""
    parts = urlsplit(url)
    proxy = PausableProxy(parts.hostname or "127.0.0.1", parts.port or default_port)
    try:
        yield proxy
    finally:
        proxy.close()
