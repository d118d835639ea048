"""Real OpenSearch nodes on this machine, for the tests, the benchmarks and a
user who wants to try ``--cluster`` without a cluster of their own.

``node/`` is a small Maven project: :class:`ClusterNode` starts a node from
OpenSearch's own jars (Maven Central; no distribution archive or Docker is
needed). :class:`LocalCluster` builds it once, starts each node as a JVM of
its own on loopback ports, waits for the cluster to be green, and stops them.
Everything a node writes stays in the folder it is given.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

NODE_PROJECT = Path(__file__).resolve().parent / "node"
JAR = NODE_PROJECT / "target" / "opensearch-node-1.0.jar"
LIBS = NODE_PROJECT / "target" / "lib"
MAIN = "org.frenchnews.cluster.ClusterNode"
HEAP = "512m"
START_BOUND_S = 300  # only catches a node that never comes up


class LauncherUnavailable(RuntimeError):
    """Java or Maven is missing, or the launcher does not build: why, in one line."""


def build_launcher() -> None:
    """``mvn package`` the node launcher, unless it is built already."""
    if JAR.exists() and LIBS.is_dir():
        return
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            raise LauncherUnavailable(
                f"{tool} is not installed: the OpenSearch nodes need Java 17 and Maven"
            )
    built = subprocess.run(["mvn", "-q", "-B", "package"], cwd=NODE_PROJECT,
                           capture_output=True, text=True)  # fmt: skip
    if built.returncode != 0:
        raise LauncherUnavailable(f"mvn package failed: {(built.stdout + built.stderr)[-2000:]}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalCluster:
    """*count* nodes of one cluster, each a JVM, their data under *folder*."""

    def __init__(self, folder: Path, count: int = 2, name: str = "french-news-test") -> None:
        self.folder, self.name = folder, name
        self.http = [free_port() for _ in range(count)]
        self.transport = [free_port() for _ in range(count)]
        self.processes: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http[0]}"

    def node_url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.http[number]}"

    def start(self) -> LocalCluster:
        build_launcher()
        for number in range(len(self.http)):
            self.start_node(number)
        self.wait_for("green")
        return self

    def start_node(self, number: int) -> None:
        home = self.folder / f"node-{number}"
        (home / "config").mkdir(parents=True, exist_ok=True)
        (home / "config" / "opensearch.yml").touch()
        seeds = ",".join(f"127.0.0.1:{port}" for port in self.transport)
        names = ",".join(f"node-{n}" for n in range(len(self.http)))
        settings = {
            "path.home": home, "path.data": home / "data", "path.logs": home / "logs",
            "cluster.name": self.name, "node.name": f"node-{number}",
            "network.host": "127.0.0.1", "http.port": self.http[number],
            "transport.port": self.transport[number], "discovery.seed_hosts": seeds,
            "cluster.initial_cluster_manager_nodes": names,
            # A test machine's disk is often nearly full: shards must still be placed.
            "cluster.routing.allocation.disk.threshold_enabled": "false",
        }  # fmt: skip
        log = open(home / "stdout.log", "ab")  # noqa: SIM115 (the node's, closed with it)
        self.processes[number] = subprocess.Popen(
            ["java", f"-Xms{HEAP}", f"-Xmx{HEAP}", "-cp", f"{JAR}{os.pathsep}{LIBS}/*", MAIN,
             *(f"{key}={value}" for key, value in settings.items())],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        log.close()

    def health(
        self, number: int | None = None, wait: str = "", timeout_s: int = 1
    ) -> dict[str, object]:
        numbers = [number] if number is not None else list(self.processes)
        query = f"?wait_for_status={wait}&timeout={timeout_s}s" if wait else ""
        for n in numbers:
            if self.processes.get(n) is None or self.processes[n].poll() is not None:
                continue
            try:
                with urllib.request.urlopen(f"{self.node_url(n)}/_cluster/health{query}",
                                            timeout=timeout_s + 5) as answer:  # fmt: skip
                    return dict(json.load(answer))
            except OSError:
                continue
        return {}

    def wait_for(self, status: str, nodes: int | None = None) -> None:
        """Until the cluster is *status* (with *nodes* nodes), polled by its own
        health API's wait; the bound only catches a node that never starts."""
        nodes = (
            len([p for p in self.processes.values() if p.poll() is None])
            if nodes is None
            else nodes
        )
        deadline = time.monotonic() + START_BOUND_S
        while time.monotonic() < deadline:
            found = self.health(wait=status, timeout_s=2)
            if found.get("status") == status and found.get("number_of_nodes") == nodes:
                return
            dead = [
                n for n, p in self.processes.items() if p.poll() is not None and n in self.processes
            ]
            if len(dead) == len(self.processes):
                break
            time.sleep(0.2)
        raise RuntimeError(
            f"the cluster did not become {status}; see {self.folder}/node-*/stdout.log"
        )

    def elected(self) -> int:
        """The number of the node elected cluster manager."""
        found = self.health()
        assert found, "no node answers"
        url = f"{self.url}/_cat/cluster_manager?format=json"
        with urllib.request.urlopen(url, timeout=30) as answer:
            name = json.load(answer)[0]["node"]
        return int(str(name).rsplit("-", 1)[1])

    def stop_node(self, number: int) -> None:
        process = self.processes.get(number)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop(self) -> None:
        for number in list(self.processes):
            self.stop_node(number)
