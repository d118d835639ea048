"""`--cluster` against a secured cluster, as OpenSearch >= 2.12 ships.

Two real nodes with the OpenSearch security plugin (Maven Central's zip):
TLS between the nodes and on HTTP, with a CA made for the test, and a user
whose password is random. The README's walkthrough, run: credentials from
the environment or ~/.netrc, the CA from SEARCH_CLUSTER_CA, and every way of
getting it wrong answered in one line. Skips with a message where Java or
Maven is missing.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cluster.local_nodes import Credentials, LocalCluster
from tests.conftest import SEEDS, run_subprocess
from tests.test_cluster import started

SEED_ARTICLES = 7
pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    yield from started(LocalCluster(tmp_path_factory.mktemp("secured"), secured=True))


def credentials(nodes: LocalCluster) -> Credentials:
    assert nodes.credentials is not None
    return nodes.credentials


def env_for(nodes: LocalCluster, home: Path, **extra: str) -> dict[str, str]:
    return {
        "SEARCH_CLUSTER": nodes.url,
        "SEARCH_CLUSTER_INDEX": "presse",
        "SEARCH_INDEX": str(home / "local-index"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_RUNTIME_DIR": str(home / "run"),
        "HOME": str(home),  # no ~/.netrc of the user's
        **extra,
    }


@pytest.fixture(scope="module")
def pushed(secured: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("push")
    env = env_for(secured, home, **credentials(secured).environment())
    done = run_subprocess("index", str(SEEDS), "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["added"] == SEED_ARTICLES
    return home


def test_the_cluster_is_really_secured(secured: LocalCluster) -> None:
    assert secured.url.startswith("https://")
    with pytest.raises(urllib.error.URLError):  # no CA: the certificate is not trusted
        urllib.request.urlopen(secured.url, timeout=30)
    health = secured.health()
    assert health["status"] == "green" and health["number_of_nodes"] == 2


def test_the_readme_walkthrough_with_credentials_from_the_environment(
    secured: LocalCluster, pushed: Path, tmp_path: Path
) -> None:
    env = env_for(secured, tmp_path, **credentials(secured).environment())
    local = {"SEARCH_INDEX": str(tmp_path / "local"), "SEARCH_CORPUS": str(SEEDS)}
    for command in (["query", "Finlande", "--all"], ["facets", "personne:Stoltenberg"]):
        there = run_subprocess(*command, "--json", env=env)
        assert there.returncode == 0, there.stderr
        here = json.loads(run_subprocess(*command, "--json", env=local).stdout)
        answer = json.loads(there.stdout)
        if command[0] == "query":
            assert answer["total"] == here["total"] > 0
            assert {h["title"] for h in answer["hits"]} == {h["title"] for h in here["hits"]}
            answer, here = answer["facets"], here["facets"]
        assert answer == here and answer["persons"]
    shown = run_subprocess("show", "seeds/2020-07-02_orangesum-9174.txt", "--query", "Finlande",
                           "--json", env=env)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "Finlande" in json.loads(shown.stdout)["body"]


def test_credentials_from_netrc(secured: LocalCluster, pushed: Path, tmp_path: Path) -> None:
    known = credentials(secured)
    netrc = tmp_path / ".netrc"
    netrc.write_text(f"machine 127.0.0.1 login {known.user} password {known.password}\n")
    netrc.chmod(0o600)  # a netrc others can read is refused, as ftp and curl refuse it
    env = env_for(secured, tmp_path, SEARCH_CLUSTER_CA=str(known.ca_file))
    found = run_subprocess("stats", "--json", env=env)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["documents"] == SEED_ARTICLES


def test_every_wrong_setting_is_one_line(
    secured: LocalCluster, pushed: Path, tmp_path: Path
) -> None:
    known = credentials(secured)
    cases = {
        "refused the credentials": {**known.environment(), "SEARCH_CLUSTER_PASSWORD": "faux"},
        "asks for credentials": {"SEARCH_CLUSTER_CA": str(known.ca_file)},  # none given
        "certificate could not be checked": {
            k: v for k, v in known.environment().items() if k != "SEARCH_CLUSTER_CA"
        },
        "cannot connect": {
            **known.environment(), "SEARCH_CLUSTER": secured.url.replace("https", "http")
        },
    }  # fmt: skip
    for expected, extra in cases.items():
        done = run_subprocess("query", "Finlande", env=env_for(secured, tmp_path, **extra))
        assert done.returncode == 2, (expected, done.stdout)
        assert expected in done.stderr and done.stderr.count("\n") == 1, (expected, done.stderr)
        assert known.password not in done.stderr
