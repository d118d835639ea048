"""Modules imported when first used, not when named: what keeps `search --help`
and the CLI's start light (numpy, Whoosh and rich's console are a third of a
second to import, and most commands' first lines need none of them)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def module(name: str) -> ModuleType:
    """*name*, loaded on its first attribute access (``importlib.util.LazyLoader``);
    the module itself if something imported it already."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    found = importlib.util.module_from_spec(spec)
    sys.modules[name] = found
    loader.exec_module(found)
    return found
