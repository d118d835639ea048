"""Reaching a cluster: URL, credentials, certificates, and one-line errors.

Credentials never come from the command line (it shows in ``ps`` and shell
history): ``SEARCH_CLUSTER_USER`` and ``SEARCH_CLUSTER_PASSWORD``, or the
user's ``~/.netrc`` entry for the host. ``SEARCH_CLUSTER_CA`` names the CA file
of an https cluster with its own certificates.
"""

from __future__ import annotations

import netrc
import os
from typing import Any
from urllib.parse import urlsplit

from index.store import IndexProblem
from search.config import DEFAULT_CLUSTER_INDEX
from search.i18n import _

DEFAULT_INDEX_NAME = DEFAULT_CLUSTER_INDEX
TIMEOUT_S = 30


class ClusterProblem(IndexProblem):
    """The cluster cannot answer: one line for the user, naming the fix."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(url, _("cluster {url}: {message}").format(url=url, message=message))


def credentials(url: str, env: dict[str, str] | None = None) -> tuple[str, str] | None:
    env = dict(os.environ) if env is None else env
    user, password = env.get("SEARCH_CLUSTER_USER"), env.get("SEARCH_CLUSTER_PASSWORD")
    if user and password is not None:
        return user, password
    host = urlsplit(url).hostname or ""
    try:
        entry = netrc.netrc().authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None
    if entry and entry[0]:
        return entry[0], entry[2] or ""
    return None


def connect(url: str) -> Any:
    """An ``OpenSearch`` client for *url*, checked with one request."""
    from opensearchpy import OpenSearch

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ClusterProblem(url, _("not a cluster URL (write http://host:9200 or https://…)"))
    if parts.username or parts.password:
        raise ClusterProblem(
            url, _("a password in the URL shows in ps and in shell history: use "
                   "SEARCH_CLUSTER_USER and SEARCH_CLUSTER_PASSWORD, or ~/.netrc"),
        )  # fmt: skip
    options: dict[str, Any] = {"hosts": [url], "timeout": TIMEOUT_S, "retry_on_timeout": True}
    auth = credentials(url)
    if auth is not None:
        options["http_auth"] = auth
    if parts.scheme == "https":
        options["use_ssl"] = True
        options["verify_certs"] = True
        if ca := os.environ.get("SEARCH_CLUSTER_CA"):
            options["ca_certs"] = ca
    client = OpenSearch(**options)
    try:
        health = client.cluster.health()
    except Exception as error:
        from opensearchpy import exceptions as errors

        if auth is None and isinstance(error, errors.AuthenticationException):
            raise ClusterProblem(
                url, _("asks for credentials: set SEARCH_CLUSTER_USER and "
                       "SEARCH_CLUSTER_PASSWORD, or add the host to ~/.netrc"),
            ) from error  # fmt: skip
        raise ClusterProblem(url, explain(error)) from error
    if health.get("status") == "red":
        raise ClusterProblem(
            url, _("the cluster is red (some shards have no copy): see _cluster/health")
        )
    return client


def explain(error: Exception) -> str:
    """What went wrong, in words a user can act on."""
    from opensearchpy import exceptions as errors

    from cluster.scroll import IncompleteScroll

    if isinstance(error, IncompleteScroll):
        return str(error)
    if isinstance(error, errors.AuthenticationException):
        return _("refused the credentials (set SEARCH_CLUSTER_USER and SEARCH_CLUSTER_PASSWORD)")
    if isinstance(error, errors.AuthorizationException):
        return _("these credentials may not do that")
    if isinstance(error, errors.SSLError):
        return _("the certificate could not be checked (set SEARCH_CLUSTER_CA to its CA file)")
    if isinstance(error, errors.ConnectionTimeout):
        return _("no answer within {seconds} s").format(seconds=TIMEOUT_S)
    if isinstance(error, errors.ConnectionError):
        return _("cannot connect (is it running, and is the URL right?)")
    if isinstance(error, errors.NotFoundError):
        return _("no such index (push articles with search index PATH --cluster URL)")
    if isinstance(error, errors.TransportError):
        return f"{error.status_code}: {error.error}"
    return f"{type(error).__name__}: {error}"
