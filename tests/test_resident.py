"""`search serve`: a warm process answers the read commands of fresh `search` processes.

Every test runs the real launcher (`python -m search.launcher`, what the
`search` script calls) against a real server process on a real index, and
compares with the command run in its own process. The server logs one line
per request it answered, which is how a test knows who answered.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import queue
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.writer import Indexer
from search import launcher
from tests.conftest import FIXTURES, ROOT, SEEDS, make_corpus

pytestmark = pytest.mark.skipif(not launcher.supported(), reason="needs Unix sockets")

BOUND = 120  # seconds: only catches a hang, never paces the test


class Server:
    """A `search serve` process and the lines it logs."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.process = subprocess.Popen(
            [sys.executable, "-m", "search.cli", "serve"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("<ended>")

    def next_line(self) -> str:
        return self.lines.get(timeout=BOUND)

    def wait_listening(self) -> str:
        line = self.next_line()
        assert line.startswith("listening on "), line
        return line.removeprefix("listening on ")

    def answered(self) -> str:
        """The next request it logged, without its timing: each is logged before its
        client is released, so after a client ends its line is on the way."""
        return self.next_line().split(" → ")[0]

    def rest(self) -> list[str]:
        """Every line up to the end of its stderr (call once it has ended)."""
        found = []
        while (line := self.next_line()) != "<ended>":
            found.append(line)
        return found

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=BOUND)


@pytest.fixture
def setting(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment with its own runtime folder and a fresh index of real articles."""
    # Short: a socket's path holds at most 107 bytes, and pytest-xdist's
    # temporary folders are deep.
    runtime = Path(tempfile.mkdtemp(prefix="fns-run-"))
    runtime.chmod(0o700)
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES, corpus / "fixtures")
    shutil.copytree(SEEDS, corpus / "seeds")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_")}
    env.update(
        XDG_RUNTIME_DIR=str(runtime),
        SEARCH_INDEX=str(tmp_path / "index"),
        SEARCH_CORPUS=str(corpus),
    )
    env.pop("COLUMNS", None)
    built = here("index", env=env)
    assert built.returncode == 0, built.stderr
    yield env
    shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def server(setting: dict[str, str]) -> Iterator[Server]:
    running = Server(setting)
    running.wait_listening()
    yield running
    running.stop()


def run(module: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=BOUND,
    )  # fmt: skip


def launch(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """What typing `search ARGS` runs."""
    return run("search.launcher", *args, env=env)


def here(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command in its own process, never forwarded."""
    return run("search.cli", *args, env=env)


def comparable(text: str) -> str:
    """Output without the time the search took, the one thing allowed to differ."""
    text = re.sub(r"\(\d+ ms\)", "(… ms)", text)
    return re.sub(r'"took_ms": [0-9.]+', '"took_ms": …', text)


COMMANDS = [
    ("query", "Finlande", "--json"),
    ("query", "OTAN", "--limit", "3"),
    ("query", "l'alliance", "--country", "FI", "--json"),
    ("query", "zzkwyx"),  # exit 1 and a hint on stderr
    ("query", "Finlande ET ("),  # exit 2, one line
    ("query", "Finlande", "--since", "demain"),  # exit 2: Click's usage error
    ("facets", "Finlande", "--json"),
    ("kwic", "Finlande", "--width", "30"),
    ("related", "Finlande", "--json"),
    ("trend", "Finlande", "--by", "year", "--json"),
    ("stats", "--json"),
    ("query", "--help"),
]


def test_forwarded_commands_answer_exactly_as_here(server: Server) -> None:
    for args in COMMANDS:
        served = launch(*args, env=server.env)
        assert server.answered() == " ".join(args)
        direct = here(*args, env=server.env)
        assert served.returncode == direct.returncode, (args, served.stderr)
        assert comparable(served.stdout) == comparable(direct.stdout), args
        assert comparable(served.stderr) == comparable(direct.stderr), args
    codes = {args: launch(*args, env=server.env).returncode for args in COMMANDS[:6]}
    assert list(codes.values()) == [0, 0, 0, 1, 2, 2]


def on_terminal(module: str, *args: str, env: dict[str, str], columns: int) -> bytes:
    """What `python -m MODULE ARGS` shows on a terminal *columns* wide (a real pty)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        env={**env, "TERM": "xterm-256color"}, cwd=ROOT,
        stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
    )  # fmt: skip
    os.close(follower)
    shown = []
    while True:
        try:
            chunk = os.read(leader, 1 << 16)
        except OSError:  # EIO: every end of the terminal closed
            break
        if not chunk:
            break
        shown.append(chunk)
    os.close(leader)
    assert process.wait(timeout=BOUND) == 0
    return b"".join(shown)


def test_a_terminal_gets_the_same_colours_and_width(server: Server) -> None:
    args = ("query", "Finlande", "--limit", "2")
    served = on_terminal("search.launcher", *args, env=server.env, columns=52)
    assert server.answered() == " ".join(args)
    direct = on_terminal("search.cli", *args, env=server.env, columns=52)
    assert b"\x1b[" in served  # coloured: the server knew it wrote to a terminal
    lines = served.decode().splitlines()
    assert max(len(re.sub(r"\x1b\[[0-9;]*m", "", line)) for line in lines) <= 52
    assert comparable(served.decode()) == comparable(direct.decode())


def test_paths_and_environment_are_the_clients(server: Server) -> None:
    """A relative --index or SEARCH_INDEX, and the paths shown relative to the working
    directory, are the client's (the server runs from the repository)."""
    corpus = Path(server.env["SEARCH_CORPUS"])
    relative = os.path.relpath(server.env["SEARCH_INDEX"], corpus)
    shown = {}
    for args, env in [
        (["query", "Finlande", "--limit", "3", "--index", relative],
         {**server.env, "SEARCH_INDEX": "nowhere"}),
        (["stats", "--json"], {**server.env, "SEARCH_INDEX": relative}),
    ]:  # fmt: skip
        served, direct = (
            subprocess.run([sys.executable, "-m", module, *args], env=env, cwd=corpus,
                           capture_output=True, text=True, timeout=BOUND)
            for module in ("search.launcher", "search.cli")
        )  # fmt: skip
        assert served.returncode == direct.returncode == 0, served.stderr
        assert server.answered() == " ".join(args)
        assert comparable(served.stdout) == comparable(direct.stdout)
        assert comparable(served.stderr) == comparable(direct.stderr)
        shown[args[0]] = served.stdout
    assert " · seeds/2020-07-02_orangesum-9174.txt · " in shown["query"]
    assert json.loads(shown["stats"])["documents"] > 0


def test_new_articles_are_found_after_an_update(server: Server, tmp_path: Path) -> None:
    assert launch("query", "kangourou", env=server.env).returncode == 1
    assert server.answered() == "query kangourou"
    new = tmp_path / "nouveaux"
    new.mkdir()
    (new / "kangourou.txt").write_text(
        "Un kangourou à Helsinki\n\nUn kangourou a été aperçu jeudi.Le zoo d’Helsinki dément.\n",
        encoding="utf-8",
    )
    updated = launch("index", str(new), env=server.env)  # a write: runs in its own process
    assert updated.returncode == 0, updated.stderr
    found = launch("query", "kangourou", "--json", env=server.env)
    assert found.returncode == 0, found.stderr
    assert [hit["title"] for hit in json.loads(found.stdout)["hits"]] == ["Un kangourou à Helsinki"]
    assert server.answered() == "query kangourou --json"  # not `index`: it ran here


def test_the_client_imports_neither_numpy_nor_click(server: Server) -> None:
    probe = (
        "import sys\n"
        "from search import launcher\n"
        "code = launcher.forward(['stats', '--json'])\n"
        "heavy = sorted(m for m in ('numpy', 'whoosh', 'click', 'rich') if m in sys.modules)\n"
        "print(code, heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], env=server.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=BOUND)  # fmt: skip
    assert done.stderr.splitlines()[-1] == "0 []"
    assert json.loads(done.stdout)["documents"] > 0


def test_a_reader_that_stops_early_ends_the_command_quietly(
    setting: dict[str, str], tmp_path: Path
) -> None:
    """`search query … | head`: exit 0 and nothing on stderr, run here or served.
    (Rich's own handler exited 1, and in the server left a descriptor open each
    time.) The output is twice what a pipe holds, so the writer meets the
    closed pipe whatever the machine's speed."""
    make_corpus(tmp_path / "big", 30)
    Indexer(tmp_path / "big-index").update([tmp_path / "big"])
    env = {**setting, "SEARCH_INDEX": str(tmp_path / "big-index")}
    commands = [("query", "Finlande", "--all", "--limit", "1000"), ("kwic", "Finlande")]
    for args in commands:
        assert len(here(*args, env=env).stdout.encode()) > 2 * 65536, args
    server = Server(env)
    server.wait_listening()
    descriptors = Path(f"/proc/{server.process.pid}/fd")
    try:
        for module, args in [(m, a) for m in ("search.cli", "search.launcher") for a in commands]:
            process = subprocess.Popen(
                [sys.executable, "-m", module, *args], env=env, cwd=ROOT, bufsize=0,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )  # fmt: skip
            assert process.stdout is not None and process.stderr is not None
            assert process.stdout.read(1)
            process.stdout.close()
            assert process.stderr.read() == b"", (module, args)
            assert process.wait(timeout=BOUND) == 0, (module, args)
            if module == "search.launcher":
                assert server.answered() == " ".join(args)
                if descriptors.exists():
                    opened = len(list(descriptors.iterdir()))
                    assert launch("stats", env=env).returncode == 0
                    assert server.answered() == "stats"
                    assert len(list(descriptors.iterdir())) == opened
    finally:
        server.stop()


def test_a_killed_server_leaves_nothing_broken(setting: dict[str, str]) -> None:
    first = Server(setting)
    path = Path(first.wait_listening())
    assert path.is_socket()
    assert launch("stats", env=setting).returncode == 0
    assert first.answered() == "stats"

    second = Server(setting)  # one server per user
    assert second.process.wait(timeout=BOUND) == 2
    assert second.next_line() == f"error: a search server is already running ({path})"

    first.process.kill()
    first.process.wait(timeout=BOUND)
    assert path.is_socket()  # a stale socket: the client runs the command itself
    direct = here("query", "Finlande", "--json", env=setting)
    served = launch("query", "Finlande", "--json", env=setting)
    assert (served.returncode, comparable(served.stdout)) == (0, comparable(direct.stdout))

    third = Server(setting)  # takes over the stale socket
    assert third.wait_listening() == str(path)
    assert launch("stats", env=setting).returncode == 0
    assert third.answered() == "stats"
    assert third.stop() == 0
    assert third.rest()[-1] == "stopping"
    assert not path.exists()  # its own socket, removed
    assert path.parent.is_dir()


def test_an_idle_server_stops_by_itself(setting: dict[str, str]) -> None:
    idle = subprocess.run(
        [sys.executable, "-m", "search.cli", "serve", "--idle", "0.001"],
        env=setting, cwd=ROOT, capture_output=True, text=True, timeout=BOUND,
    )  # fmt: skip
    assert idle.returncode == 0
    assert idle.stderr.splitlines()[-1] == "no request for 0.06 s: stopping"
    assert not any(Path(setting["XDG_RUNTIME_DIR"]).glob("*/*.sock"))


def test_a_folder_others_can_use_is_never_used(setting: dict[str, str]) -> None:
    folder = Path(launcher.runtime_directory(setting))
    folder.mkdir(mode=0o700)
    folder.chmod(0o755)
    refused = here("serve", env=setting)
    assert refused.returncode == 2
    why = "others may use it (mode 755)"
    assert refused.stderr == f"error: {folder} cannot hold the socket: {why}\n"
    # Someone else's listener there is never sent a request.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(folder / launcher.SOCKET_NAME))
    listener.listen(1)
    listener.setblocking(False)
    try:
        answered = launch("stats", "--json", env=setting)
        assert answered.returncode == 0 and json.loads(answered.stdout)["documents"] > 0
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()


def send(path: str, body: bytes) -> bytes | None:
    """One raw request; the first frame's header the server sends back."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(path)
        connection.sendall(launcher.LENGTH.pack(len(body)) + body)
        return launcher.read_exactly(connection, launcher.HEADER.size)


def test_requests_it_cannot_take_are_declined(server: Server) -> None:
    """A server started before an upgrade answers nothing for the new code, and no
    request, however shaped, stops it."""
    path = launcher.socket_path(server.env)
    good = launcher.request(["stats"])
    declined = launcher.HEADER.pack(launcher.DECLINED, 0)
    for odd in (
        {**good, "code": "another copy"},
        {**good, "language": "fr"},  # the server speaks English: a French user's runs here
        {**good, "argv": ["index", "/tmp"]},  # a write: the launcher runs it itself
        {**good, "argv": ["stats", 3]},
        {**good, "env": {"HOME": None}},
        {key: value for key, value in good.items() if key != "cwd"},
    ):
        assert send(path, json.dumps(odd).encode()) == declined, odd
    assert send(path, b"{not json") is None  # the connection is closed
    assert launch("stats", env=server.env).returncode == 0
    assert server.answered() == "stats"  # none of the above was run


def hold(path: str, env: dict[str, str], argv: list[str]) -> socket.socket:
    """A client that is told READY and never says GO: the server's worker is
    busy with it until it gives up on the client."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(path)
    body = json.dumps({**launcher.request(argv), "env": env}).encode()
    connection.sendall(launcher.LENGTH.pack(len(body)) + body)
    assert launcher.read_exactly(connection, launcher.HEADER.size) == launcher.HEADER.pack(
        launcher.READY, 0
    )
    return connection


def test_no_client_waits_behind_another_clients_request(server: Server) -> None:
    """While the server works for one client, another runs its command itself at
    once, with the same answer; then the server answers again."""
    path = launcher.socket_path(server.env)
    busy = hold(path, server.env, ["kwic", "Finlande"])
    try:
        direct = here("query", "Finlande", "--json", env=server.env)
        served = launch("query", "Finlande", "--json", env=server.env)
        assert (served.returncode, comparable(served.stdout)) == (0, comparable(direct.stdout))
    finally:
        busy.close()  # the worker reads no GO: it runs nothing for it
    assert launch("stats", env=server.env).returncode == 0
    assert server.answered() == "stats"  # neither the held kwic nor the query was run here


def test_a_stopped_server_never_holds_a_client(server: Server) -> None:
    direct = here("query", "OTAN", "--json", env=server.env)
    server.process.send_signal(signal.SIGSTOP)
    try:
        served = launch("query", "OTAN", "--json", env=server.env)
    finally:
        server.process.send_signal(signal.SIGCONT)
    assert (served.returncode, comparable(served.stdout)) == (0, comparable(direct.stdout))
    assert launch("stats", env=server.env).returncode == 0
    assert server.answered() == "stats"  # the query it saw too late was never run


def test_files_it_writes_for_a_client_have_the_clients_umask(
    server: Server, tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib")
    chart = tmp_path / "finlande.svg"
    written = subprocess.run(
        [sys.executable, "-m", "search.launcher", "trend", "Finlande", "--plot", str(chart)],
        env=server.env, cwd=ROOT, capture_output=True, text=True, timeout=BOUND,
        preexec_fn=lambda: os.umask(0o077),
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    assert server.answered() == f"trend Finlande --plot {chart}"
    assert chart.stat().st_mode & 0o777 == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to connect as another user")
def test_another_user_is_never_served(server: Server) -> None:
    """Even where the folder's permissions would let another user in, the peer's
    uid is checked on each connection."""
    path = Path(launcher.socket_path(server.env))
    path.parent.chmod(0o711)
    path.chmod(0o777)
    body = json.dumps(launcher.request(["stats"])).encode()
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # connect as uid 65534: from inside the folder, so no parent is crossed
        code = 1
        try:
            os.close(reading)
            os.chdir(path.parent)
            os.setgid(65534)
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.connect(path.name)
                try:
                    connection.sendall(launcher.LENGTH.pack(len(body)) + body)
                    os.write(writing, b"answer:" + connection.recv(64))
                except OSError:  # closed before the request was sent
                    os.write(writing, b"answer:")
            code = 0
        finally:
            os._exit(code)
    os.close(writing)
    with os.fdopen(reading, "rb") as pipe:
        answer = pipe.read()
    assert os.waitpid(child, 0)[1] == 0
    assert answer == b"answer:"  # closed without a word
    assert server.next_line() == "refused a connection from uid 65534"


def test_the_query_language_answers_the_same_served_and_here(server: Server) -> None:
    """Rows of the query-language table, and its errors, through the server and
    in a process of their own: the same output and exit code."""
    from tests.test_query_language import ERRORS, ROWS

    queries = [text for text, _ in ROWS[::6]] + [text for text, _ in ERRORS[::7]]
    for text in queries:
        served = launch("query", text, "--json", env=server.env)
        assert server.answered() == f"query {text} --json"
        direct = here("query", text, "--json", env=server.env)
        assert served.returncode == direct.returncode, text
        assert comparable(served.stdout) == comparable(direct.stdout), text
        assert served.stderr == direct.stderr, text
