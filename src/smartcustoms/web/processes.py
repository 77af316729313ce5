"""Several server processes on one port. Each process listens on a socket of its own (SO_REUSEPORT) and the
kernel spreads new connections among them. With one shared socket (uvicorn's --workers), whichever process
wakes first accepts a whole burst: under the load benchmark one process often held all 50 connections while
the other idled."""

import logging
import multiprocessing
import signal
import socket
import threading

log = logging.getLogger(__name__)


def available() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def serve_processes(app: str, *, host: str, port: int, processes: int, **uvicorn_options) -> int:
    """Run `processes` uvicorn servers of the application factory `app` ("module:function") on host:port
    until SIGINT or SIGTERM (then each finishes its requests and stops). Returns 0 after a stop asked for,
    1 when a process ended by itself (the others are stopped too)."""
    _check_free(host, port)
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_serve_one, args=(app, host, port, uvicorn_options),
                                name=f"smartcustoms-web-{n}") for n in range(processes)]
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for child in children:
            child.start()
        while not stop.is_set() and all(child.is_alive() for child in children):
            stop.wait(0.5)
        if not stop.is_set():
            log.error("a server process ended by itself: stopping the others")
        for child in children:
            if child.is_alive():
                child.terminate()  # SIGTERM: uvicorn's graceful shutdown
        for child in children:
            child.join(30)
            if child.is_alive():
                child.kill()
                child.join()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if stop.is_set() else 1


def _check_free(host: str, port: int) -> None:
    """Refuse a port another program listens on (bound sockets with SO_REUSEPORT would share it silently)."""
    with socket.socket(_family(host)) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _serve_one(app: str, host: str, port: int, options: dict) -> None:
    import uvicorn

    sock = socket.socket(_family(host))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole group: the parent decides
    uvicorn.Server(uvicorn.Config(app, factory=True, host=host, port=port, **options)).run(sockets=[sock])
