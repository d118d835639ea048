"""Real OpenSearch nodes on this machine, for the tests, the benchmarks and a
user who wants to try ``--cluster`` without a cluster of their own.

``node/`` is a small Maven project: :class:`ClusterNode` starts a node from
OpenSearch's own jars (Maven Central; no distribution archive or Docker is
needed). :class:`LocalCluster` builds it once, starts each node as a JVM of
its own on loopback ports, waits for the cluster to be green, and stops them.
Everything a node writes stays in the folder it is given.

``secured=True`` starts the nodes as OpenSearch >= 2.12 ships: the security
plugin (Maven Central's zip, unpacked by the Maven build) installed in each
node's plugins folder, TLS between the nodes and on HTTP with a CA made for
the cluster, and one user with a random password (:class:`Credentials`).
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

NODE_PROJECT = Path(__file__).resolve().parent / "node"
JAR = NODE_PROJECT / "target" / "opensearch-node-1.0.jar"
LIBS = NODE_PROJECT / "target" / "lib"
MAIN = "org.frenchnews.cluster.ClusterNode"
SECURITY_PLUGIN = NODE_PROJECT / "target" / "opensearch-security"
HEAP = "512m"
START_BOUND_S = 300  # only catches a node that never comes up
NODE_DN = "CN=node,O=french-news test"
USER = "presse"


class LauncherUnavailable(RuntimeError):
    """Java or Maven is missing, or the launcher does not build: why, in one line."""


def build_launcher() -> None:
    """``mvn package`` the node launcher, unless it is built already."""
    if JAR.exists() and LIBS.is_dir() and SECURITY_PLUGIN.is_dir():
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


@dataclass(frozen=True)
class Credentials:
    """What a client needs to reach a secured :class:`LocalCluster`."""

    user: str
    password: str
    ca_file: Path

    def environment(self) -> dict[str, str]:
        """The variables ``search`` reads them from (never the command line)."""
        return {"SEARCH_CLUSTER_USER": self.user, "SEARCH_CLUSTER_PASSWORD": self.password,
                "SEARCH_CLUSTER_CA": str(self.ca_file)}  # fmt: skip


class LocalCluster:
    """*count* nodes of one cluster, each a JVM, their data under *folder*."""

    def __init__(
        self, folder: Path, count: int = 2, name: str = "french-news-test", *,
        secured: bool = False,
    ) -> None:  # fmt: skip
        self.folder, self.name = folder, name
        self.http = [free_port() for _ in range(count)]
        self.transport = [free_port() for _ in range(count)]
        self.processes: dict[int, subprocess.Popen[bytes]] = {}
        self.credentials: Credentials | None = None
        if secured:
            self.credentials = Credentials(
                USER, secrets.token_urlsafe(18), folder / "certificates" / "root-ca.pem"
            )

    @property
    def url(self) -> str:
        return self.node_url(0)

    def node_url(self, number: int) -> str:
        scheme = "https" if self.credentials else "http"
        return f"{scheme}://127.0.0.1:{self.http[number]}"

    def start(self) -> LocalCluster:
        build_launcher()
        if self.credentials:
            write_certificates(self.credentials.ca_file.parent)
        for number in range(len(self.http)):
            self.start_node(number)
        self.wait_for("green")
        return self

    def start_node(self, number: int) -> None:
        home = self.folder / f"node-{number}"
        (home / "config").mkdir(parents=True, exist_ok=True)
        (home / "config" / "opensearch.yml").touch()
        if self.credentials and not (home / "plugins").exists():
            secure_node(home, self.credentials)
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
                return dict(self.get(f"{self.node_url(n)}/_cluster/health{query}",
                                     timeout_s + 5))  # fmt: skip
            except OSError:
                continue
        return {}

    def get(self, url: str, timeout_s: float = 30) -> Any:
        """A GET's JSON answer, with the credentials and CA of a secured cluster."""
        request = urllib.request.Request(url)
        context = None
        if self.credentials:
            token = f"{self.credentials.user}:{self.credentials.password}".encode()
            request.add_header("Authorization", f"Basic {base64.b64encode(token).decode()}")
            context = ssl.create_default_context(cafile=str(self.credentials.ca_file))
        with urllib.request.urlopen(request, timeout=timeout_s, context=context) as answer:
            return json.load(answer)

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
        answer = self.get(f"{self.url}/_cat/cluster_manager?format=json")
        name = answer[0]["node"]  # type: ignore[index]
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


def secure_node(home: Path, credentials: Credentials) -> None:
    """Install the security plugin in a node's folder, and configure it: TLS
    with the cluster's certificates, the user of *credentials* as admin.

    The plugin's zip bundles its own copies of Netty and of the HTTP
    transport, which the node has on its classpath already; two copies of a
    class are "jar hell" to OpenSearch, so the node's are kept. The plugin is
    2.19.4.0 (the newest 2.19 one served) in a 2.19.6 node: its descriptor is
    given the node's version, which a patch release keeps compatible."""
    plugin = home / "plugins" / "opensearch-security"
    on_classpath = {_artifact(jar.name) for jar in LIBS.glob("*.jar")}
    plugin.mkdir(parents=True)
    for item in SECURITY_PLUGIN.iterdir():
        jar = item.suffix == ".jar" and _artifact(item.name) not in on_classpath
        if jar or item.name in ("plugin-descriptor.properties", "plugin-security.policy"):
            shutil.copy2(item, plugin / item.name)
    node_version = next(_version(j.name) for j in LIBS.glob("opensearch-2.*.jar"))
    descriptor = plugin / "plugin-descriptor.properties"
    descriptor.write_text(
        re.sub(r"(?m)^opensearch\.version=.*$", f"opensearch.version={node_version}",
               descriptor.read_text("utf-8")), "utf-8",
    )  # fmt: skip
    config = home / "config"
    security = config / "opensearch-security"
    shutil.copytree(SECURITY_PLUGIN / "config", security)
    import bcrypt

    digest = bcrypt.hashpw(credentials.password.encode(), bcrypt.gensalt(12)).decode()
    (security / "internal_users.yml").write_text(
        '_meta: {type: "internalusers", config_version: 2}\n'
        f'{credentials.user}: {{hash: "{digest}", backend_roles: ["admin"]}}\n',
        "utf-8",
    )
    for name in ("root-ca.pem", "node.pem", "node-key.pem"):
        shutil.copy2(credentials.ca_file.parent / name, config / name)
    settings = {
        "plugins.security.ssl.transport.pemcert_filepath": "node.pem",
        "plugins.security.ssl.transport.pemkey_filepath": "node-key.pem",
        "plugins.security.ssl.transport.pemtrustedcas_filepath": "root-ca.pem",
        "plugins.security.ssl.transport.enforce_hostname_verification": False,
        "plugins.security.ssl.http.enabled": True,
        "plugins.security.ssl.http.pemcert_filepath": "node.pem",
        "plugins.security.ssl.http.pemkey_filepath": "node-key.pem",
        "plugins.security.ssl.http.pemtrustedcas_filepath": "root-ca.pem",
        # The security index is made from config/opensearch-security at first start.
        "plugins.security.allow_default_init_securityindex": True,
        "plugins.security.nodes_dn": [NODE_DN],
        "plugins.security.audit.type": "noop",
    }
    (config / "opensearch.yml").write_text(
        "".join(f"{key}: {json.dumps(value)}\n" for key, value in settings.items()), "utf-8"
    )


def write_certificates(folder: Path) -> None:
    """A CA made for this cluster, and one certificate the nodes share (for
    each other and for HTTPS on 127.0.0.1), its key in PKCS#8 as the plugin
    reads it."""
    from ipaddress import ip_address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "french-news test"),
                          x509.NameAttribute(NameOID.COMMON_NAME, common)])  # fmt: skip

    def usage(*, signs: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=not signs,
            data_encipherment=False, key_agreement=False, key_cert_sign=signs, crl_sign=signs,
            encipher_only=False, decipher_only=False,
        )  # fmt: skip

    now = datetime.now(UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder().subject_name(name("french-news test CA"))
        .issuer_name(name("french-news test CA")).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage(signs=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    node = (
        x509.CertificateBuilder().subject_name(x509.Name.from_rfc4514_string(NODE_DN))
        .issuer_name(ca.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(signs=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                              ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ip_address("127.0.0.1"))]),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    (folder / "root-ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "node.pem").write_bytes(node.public_bytes(pem))
    (folder / "node-key.pem").write_bytes(key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip


def _artifact(jar: str) -> str:
    """``netty-codec-4.1.125.Final.jar`` -> ``netty-codec``."""
    return re.sub(r"-\d[^-]*(\.Final)?\.jar$", "", jar)


def _version(jar: str) -> str:
    return re.sub(r"^.*-(\d[^-]*)\.jar$", r"\1", jar)


def main() -> None:
    """``python -m cluster.local_nodes FOLDER``: a cluster to try ``--cluster``
    on, until Ctrl+C; prints the variables ``search`` reads to reach it."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m cluster.local_nodes", description=main.__doc__)
    parser.add_argument("folder", type=Path, help="where the nodes keep their data (kept)")
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument(
        "--secured", action="store_true",
        help="TLS and a user with a password, as OpenSearch >= 2.12 ships",
    )  # fmt: skip
    args = parser.parse_args()
    if args.folder.exists() and any(args.folder.iterdir()):
        parser.error(f"{args.folder} is not empty: give a new folder")
    nodes = LocalCluster(args.folder, args.nodes, secured=args.secured)
    try:
        nodes.start()
        print(f"export SEARCH_CLUSTER={nodes.url}")
        for key, value in (nodes.credentials.environment() if nodes.credentials else {}).items():
            print(f"export {key}={value}")
        print("# Ctrl+C stops the nodes", flush=True)
        # Blocked only now: the nodes, started before, must still obey SIGTERM.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except LauncherUnavailable as why:
        parser.exit(2, f"{why}\n")
    finally:
        nodes.stop()


if __name__ == "__main__":
    main()
