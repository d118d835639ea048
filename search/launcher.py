"""The ``search`` command's entry point: hands read commands to a resident engine.

A fresh ``search query`` spends about half a second importing numpy, Whoosh,
click and rich before it reads a byte of the index. When ``search serve``
runs (:mod:`search.resident`), this module forwards the command line, the
working directory, the environment and what the terminal looks like over a
Unix socket, and copies back what the server writes to stdout and stderr
and its exit code. It imports only the standard library's light modules, so
a forwarded query costs a few tens of milliseconds.

Anything else, or no server, or a server that cannot answer this request
(another version of the program, a stale socket), runs the command in this
process, exactly as before: the server is only ever a shortcut.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import struct
import sys
from collections.abc import Mapping
from typing import Any

from search import i18n

# Commands that only read an index, never read stdin or the keyboard, and take
# about as long as starting a process: the server can answer them. `export` runs
# here: it is long for its own work, and the server answers one request at a
# time (a second client meanwhile runs its command itself). So do `index`,
# `watch`, `doctor`, `tui` and `serve`.
READ_COMMANDS = frozenset({"query", "show", "facets", "trend", "kwic", "related", "stats"})

PROTOCOL = 2
SOCKET_NAME = "server.sock"
# The request: its length (4 bytes, big-endian), then JSON.
LENGTH = struct.Struct(">I")
# Frames from the server: kind (1 byte) and length (4 bytes, big-endian).
HEADER = struct.Struct(">cI")
STDOUT, STDERR, EXIT, DECLINED, READY = b"o", b"e", b"x", b"n", b"r"
# The client's one byte once the server is READY: run it (the client is still here).
GO = b"g"
# How long a client waits for the server to take its request before running it
# here: a healthy server answers READY (or DECLINED, when busy) at once; one that
# was stopped (kill -STOP) or hangs must not hold a user's command.
READY_TIMEOUT = 3.0


def runtime_directory(env: Mapping[str, str] = os.environ) -> str:
    """The per-user folder that holds the socket: ``$XDG_RUNTIME_DIR`` (private to
    the user, cleared at logout) or the temporary folder, named with the uid."""
    base = env.get("XDG_RUNTIME_DIR") or env.get("TMPDIR") or "/tmp"
    return os.path.join(base, f"french-news-search-{os.getuid()}")


def socket_path(env: Mapping[str, str] = os.environ) -> str:
    return os.path.join(runtime_directory(env), SOCKET_NAME)


def private_problem(directory: str) -> str | None:
    """Why *directory* cannot hold our socket, or ``None``: it must be a real folder
    (not a link), owned by this user and closed to everyone else, or another user
    could answer our queries or read theirs."""
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return i18n._("it does not exist")
    if not stat.S_ISDIR(info.st_mode):
        return i18n._("it is not a folder")
    if info.st_uid != os.getuid():
        return i18n._("it belongs to uid {uid}").format(uid=info.st_uid)
    if info.st_mode & 0o077:
        mode = f"{stat.S_IMODE(info.st_mode):o}"
        return i18n._("others may use it (mode {mode})").format(mode=mode)
    return None


def supported() -> bool:
    return hasattr(socket, "AF_UNIX") and hasattr(os, "getuid")


def code_fingerprint() -> str:
    """Which copy of the program this is, as of its files: a server started before an
    upgrade or an edit, or from another installation, must not answer for this one."""
    package = os.path.dirname(os.path.abspath(__file__))
    latest = max(
        entry.stat().st_mtime_ns
        for folder in (
            package,
            *(os.path.join(os.path.dirname(package), name) for name in ("index", "cluster")),
        )
        for entry in os.scandir(folder)
        if entry.name.endswith(".py")
    )
    return f"{package}:{latest}"


def terminal_size() -> tuple[int, int] | None:
    """The size rich would find in this process: the first standard stream that is a
    terminal (the server's own streams are not the user's)."""
    for descriptor in (0, 1, 2):
        try:
            return os.get_terminal_size(descriptor)[:2]
        except OSError:
            continue
    return None


def _stream(stream: Any) -> dict[str, Any]:
    return {
        "tty": bool(stream.isatty()),
        "encoding": stream.encoding,
        "errors": stream.errors,
    }


def current_umask() -> int:
    """This process's umask (read by setting it, then setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def request(argv: list[str]) -> dict[str, Any]:
    env = dict(os.environ)
    size = terminal_size()
    if size is not None:
        env.setdefault("COLUMNS", str(size[0]))
        env.setdefault("LINES", str(size[1]))
    return {
        "protocol": PROTOCOL,
        "code": code_fingerprint(),
        # The server speaks one language (its help and messages are translated
        # once): a user whose locale asks for another runs the command here.
        "language": i18n.language(),
        "argv": argv,
        "cwd": os.getcwd(),
        "umask": current_umask(),
        "env": env,
        "stdout": _stream(sys.stdout),
        "stderr": _stream(sys.stderr),
    }


def read_exactly(connection: socket.socket, size: int) -> bytes | None:
    """*size* bytes from *connection*, or ``None`` if it closes first."""
    chunks = []
    while size:
        chunk = connection.recv(min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def forward(argv: list[str]) -> int | None:
    """Run *argv* in the server; its exit code, or ``None`` when it cannot answer
    and nothing was printed (the caller then runs the command itself)."""
    if not supported() or not argv or argv[0] not in READ_COMMANDS:
        return None
    directory = runtime_directory()
    path = socket_path()
    if not os.path.exists(path) or private_problem(directory):
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        try:
            connection.settimeout(READY_TIMEOUT)
            connection.connect(path)
            body = json.dumps(request(argv)).encode("utf-8")
            connection.sendall(LENGTH.pack(len(body)) + body)
            # READY: the server will run it once we say GO; DECLINED: busy with
            # another client's request, or another version. Nothing from it in
            # time: stopped or hung, and it will not run the command once we
            # have gone (it waits for GO), so running it here runs it once.
            header = read_exactly(connection, HEADER.size)
            if header is None or HEADER.unpack(header)[0] != READY:
                return None
            connection.sendall(GO)
            connection.settimeout(None)
        except OSError:  # a stale socket (a killed server), or no answer in time
            return None
        printed = False
        while True:
            try:
                header = read_exactly(connection, HEADER.size)
                kind, size = HEADER.unpack(header) if header else (b"", 0)
                payload = read_exactly(connection, size) if size else b""
            except OSError:
                header = payload = None
            if header is None or payload is None:
                if not printed:
                    return None  # nothing shown yet: this process can still answer
                sys.stderr.write(i18n._("error: the search server stopped while answering") + "\n")
                return 2
            if kind == EXIT:
                return int(payload)
            target = sys.stdout if kind == STDOUT else sys.stderr
            target.buffer.write(payload)
            target.flush()
            printed = True
    finally:
        connection.close()


def main() -> None:
    # The user's language, before the CLI's help texts are made.
    i18n.activate()
    try:
        code = forward(sys.argv[1:])
    except BrokenPipeError:
        # The reader stopped early (`| head`): what it wanted was delivered.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except KeyboardInterrupt:
        sys.stderr.write(i18n._("interrupted") + "\n")
        sys.exit(130)
    if code is not None:
        sys.exit(code)
    from search.cli import main as run_here

    run_here()


if __name__ == "__main__":
    main()
