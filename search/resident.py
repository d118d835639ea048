"""``search serve``: one warm process that answers the read commands of others.

The launcher (:mod:`search.launcher`) sends it a command line with its working
directory, environment and terminal; this process runs the same Click command
it would have run, with stdout and stderr going back over the socket, and
keeps the engines it opened for the next request (refreshed when the index
has a newer commit). Requests are answered one at a time, in a worker thread:
the working directory, environment and umask are the process's own, swapped
per request. The main thread keeps accepting meanwhile, and tells a client
that comes while the worker is busy to run its command itself (at once: no
one waits behind another's long request). A request runs only once its
client has said GO after READY, so a client that gave up waiting (a stopped
server) and ran its command itself never has it run a second time here.

Only the user who runs the server is served: the folder is private, and each
connection's peer is checked (``SO_PEERCRED``) where the platform says who it is.

The socket lives in a folder private to the user (see
:func:`search.launcher.private_problem`). The only files this process removes
are sockets in that folder: its own when it stops, and one left by a killed
server, which no longer answers.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import stat
import struct
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from index.articles import printable
from search import launcher
from search.engine import Engine
from search.i18n import _, language

KEPT_ENGINES = 4
_MAX_REQUEST = 16 << 20  # a command line and an environment, not a corpus


class ServerError(Exception):
    """Why the server cannot start: one line for the user."""


class _Stop(BaseException):
    """SIGINT / SIGTERM: leaves a request and the loop alike (Click turns a
    KeyboardInterrupt inside a command into that command's exit code)."""


class WarmEngines:
    """The engines of the last few indexes asked for, open between requests."""

    def __init__(self, keep: int = KEPT_ENGINES) -> None:
        self._keep = keep
        self._engines: OrderedDict[tuple[str, Path], Engine] = OrderedDict()

    def __call__(self, directory: Path) -> contextlib.nullcontext[Engine]:
        # An engine shows its directory as it was named (`search stats`): the
        # same index named another way, or from another folder, gets its own.
        key = (os.getcwd(), directory)
        engine = self._engines.pop(key, None)
        if engine is not None:
            try:
                engine.refresh()
            except Exception:  # the index was replaced or removed: open it again
                engine.close()
                engine = None
        if engine is None:
            engine = Engine(directory)
        self._engines[key] = engine
        while len(self._engines) > self._keep:
            self._engines.popitem(last=False)[1].close()
        # The command's `with` must not close an engine kept for the next request.
        return contextlib.nullcontext(engine)

    def close(self) -> None:
        while self._engines:
            self._engines.popitem()[1].close()


class _Channel(io.RawIOBase):
    """One of the client's streams, as frames on the connection. ``isatty`` answers
    for the client's stream, so rich and Click colour and wrap as they would there."""

    def __init__(self, send: Callable[[bytes, bytes], None], kind: bytes, tty: bool) -> None:
        self._send, self._kind, self._tty = send, kind, tty

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._tty

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        if chunk:
            self._send(self._kind, chunk)
        return len(chunk)


class _Connection:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._lock = threading.Lock()  # rich's progress bar writes from its own thread

    def send(self, kind: bytes, payload: bytes) -> None:
        with self._lock:
            self.sock.sendall(launcher.HEADER.pack(kind, len(payload)) + payload)

    def peer_uid(self) -> int | None:
        """The uid of the process at the other end, where the platform tells it."""
        option = getattr(socket, "SO_PEERCRED", None)
        if option is None:
            return None
        credentials = struct.Struct("3i")  # pid, uid, gid (Linux's struct ucred)
        raw = self.sock.getsockopt(socket.SOL_SOCKET, option, credentials.size)
        return int(credentials.unpack(raw)[1])

    def read_go(self) -> bool:
        """Whether the client, told READY, still wants its command run here."""
        self.sock.settimeout(launcher.READY_TIMEOUT * 2)
        try:
            return launcher.read_exactly(self.sock, len(launcher.GO)) == launcher.GO
        except OSError:
            return False
        finally:
            self.sock.settimeout(None)

    def read_request(self) -> dict[str, Any] | None:
        # A client that connects and says nothing must not hold the others: the
        # launcher sends its request at once.
        self.sock.settimeout(2)
        try:
            header = launcher.read_exactly(self.sock, launcher.LENGTH.size)
            if header is None:
                return None
            (size,) = launcher.LENGTH.unpack(header)
            if size > _MAX_REQUEST:
                return None
            body = launcher.read_exactly(self.sock, size)
        except OSError:
            return None
        finally:
            self.sock.settimeout(None)
        try:
            found = json.loads(body) if body is not None else None
        except ValueError:
            return None
        return found if isinstance(found, dict) else None


def _text(channel: _Channel, stream: dict[str, Any]) -> io.TextIOWrapper:
    return io.TextIOWrapper(
        io.BufferedWriter(channel),
        encoding=stream.get("encoding") or "utf-8",
        errors=stream.get("errors") or "strict",
        line_buffering=channel.isatty(),
        write_through=False,
    )


@contextlib.contextmanager
def _as_client(request: dict[str, Any], connection: _Connection) -> Iterator[None]:
    """The process's working directory, environment and standard streams become the
    client's for the duration of its request."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_umask = os.umask(request["umask"])  # files the command writes are the client's
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    env = dict(request["env"])
    # Without a terminal the client's rich would use its default width; the
    # server's own terminal must not leak into the output.
    env.setdefault("COLUMNS", "80")
    env.setdefault("LINES", "25")
    out = _text(_Channel(connection.send, launcher.STDOUT, request["stdout"]["tty"]),
                request["stdout"])  # fmt: skip
    err = _text(_Channel(connection.send, launcher.STDERR, request["stderr"]["tty"]),
                request["stderr"])  # fmt: skip
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(env)
        sys.stdin, sys.stdout, sys.stderr = io.StringIO(), out, err
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
        os.umask(saved_umask)
        for stream in (out, err):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    print(value, file=sys.stderr)
    return 1


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _declines(request: dict[str, Any]) -> bool:
    """Whether this server must not run *request*: another version of the program or
    another language than the server's, a command the launcher runs itself, or a request
    not shaped as the launcher's."""
    argv, env = request.get("argv"), request.get("env")
    streams = [request.get("stdout"), request.get("stderr")]
    return (
        request.get("protocol") != launcher.PROTOCOL
        or request.get("code") != launcher.code_fingerprint()
        or request.get("language") != language()
        or not _strings(argv)
        or not argv
        or argv[0] not in launcher.READ_COMMANDS
        or not isinstance(request.get("cwd"), str)
        or not isinstance(request.get("umask"), int)
        or not 0 <= request["umask"] <= 0o777
        or not isinstance(env, dict)
        or not _strings([*env, *env.values()])
        or not all(isinstance(s, dict) and isinstance(s.get("tty"), bool) for s in streams)
    )


def answer(request: dict[str, Any], connection: _Connection, engines: WarmEngines) -> int:
    """Run one forwarded command with *engines*; its exit code (not sent yet)."""
    from search.cli import cli, unexpected

    code = 2
    with _as_client(request, connection):
        try:
            cli.main(args=request["argv"], prog_name="search", standalone_mode=True, obj=engines)
            code = 0
        except SystemExit as done:
            code = _exit_code(done.code)
        except OSError:  # the client went away (`| head`, ctrl+c)
            code = 141
        except Exception as error:  # a bug must not end the server
            print(unexpected(error), file=sys.stderr)
    return code


def _claim(path: str) -> None:
    """Remove a socket left by a server that was killed; refuse if one answers."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise ServerError(_("{path} exists and is not a socket: not touching it").format(path=path))
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except ConnectionRefusedError:
        os.unlink(path)  # ours (our folder, a socket) and nobody listens on it
        return
    except OSError as error:
        raise ServerError(f"{path}: {error.strerror or error}") from error
    finally:
        probe.close()
    raise ServerError(_("a search server is already running ({path})").format(path=path))


def listen() -> tuple[socket.socket, str]:
    """Bind the socket in the user's private folder (created if missing)."""
    if not launcher.supported():
        raise ServerError(_("`search serve` needs Unix sockets, which this platform lacks"))
    directory = launcher.runtime_directory()
    with contextlib.suppress(FileExistsError):
        os.mkdir(directory, 0o700)
    if problem := launcher.private_problem(directory):
        raise ServerError(_("{directory} cannot hold the socket: {problem}").format(
            directory=directory, problem=problem))  # fmt: skip
    path = launcher.socket_path()
    _claim(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    return server, path


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop


def stream_log(stream: Any) -> Callable[[str], None]:
    """A log writing to *stream* itself: ``sys.stderr`` is the client's while a
    request runs, and the server's lines must never reach a client."""
    lock = threading.Lock()

    def log(line: str) -> None:
        with lock, contextlib.suppress(OSError, ValueError):
            stream.write(printable(line) + "\n")
            stream.flush()

    return log


class _Worker:
    """Runs one request at a time on a thread of its own."""

    def __init__(self, engines: WarmEngines, log: Callable[[str], None]) -> None:
        self.engines, self.log = engines, log
        self.thread: threading.Thread | None = None

    def busy(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self, request: dict[str, Any], connection: _Connection) -> None:
        self.thread = threading.Thread(target=self._run, args=(request, connection), daemon=True)
        self.thread.start()

    def _run(self, request: dict[str, Any], connection: _Connection) -> None:
        try:
            if not connection.read_go():
                return  # the client gave up waiting and runs it itself
            started = time.perf_counter()
            code = answer(request, connection, self.engines)
            took = (time.perf_counter() - started) * 1000
            # Logged before the client is released: whoever waits on the
            # client finds the line already written.
            self.log(f"{' '.join(request['argv'])} → {code} in {took:.0f} ms")
            connection.send(launcher.EXIT, str(code).encode())
        except OSError:
            pass  # the client left before its answer was complete
        except Exception as error:  # a request this server cannot take: the next one
            self.log(_("request not answered: {error}").format(error=error))
        finally:
            connection.sock.close()

    def join(self, timeout: float) -> None:
        if self.thread is not None:
            self.thread.join(timeout)


def serve(
    engines: WarmEngines,
    *,
    idle: float | None = None,
    log: Callable[[str], None],
) -> None:
    """Answer requests until SIGINT/SIGTERM, or *idle* seconds without one."""
    server, path = listen()
    own = os.lstat(path).st_ino
    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    server.settimeout(idle)
    worker = _Worker(engines, log)
    log(_("listening on {path}").format(path=path))
    try:
        while True:
            try:
                sock, _peer = server.accept()
            except TimeoutError:
                if worker.busy():
                    continue  # a long request is no idleness
                log(_("no request for {seconds} s: stopping").format(seconds=f"{idle:g}"))
                return
            connection = _Connection(sock)
            handed = False
            try:
                uid = connection.peer_uid()
                if uid is not None and uid != os.getuid():
                    log(_("refused a connection from uid {uid}").format(uid=uid))
                    continue
                request = connection.read_request()
                if request is None:
                    continue
                if _declines(request) or worker.busy():
                    connection.send(launcher.DECLINED, b"")
                    continue
                connection.send(launcher.READY, b"")
                worker.start(request, connection)
                handed = True
            except OSError:
                continue  # the client left before its answer was complete
            finally:
                if not handed:
                    sock.close()
    except _Stop:
        log("stopping")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        server.close()
        with contextlib.suppress(FileNotFoundError):
            if os.lstat(path).st_ino == own:
                os.unlink(path)
        worker.join(timeout=10)
        engines.close()
