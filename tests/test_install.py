"""A regular install (a wheel, as pip and pipx install it; not editable) carries the
shipped seeds and searches them from any folder, with no configuration."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.mark.slow
def test_a_wheel_installed_in_a_fresh_venv_searches_its_seeds(tmp_path: Path) -> None:
    dist, venv, elsewhere = tmp_path / "dist", tmp_path / "venv", tmp_path / "ailleurs"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, ROOT, timeout=600)
    [wheel] = dist.glob("*.whl")
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q",
        "--no-deps", wheel, timeout=600)  # fmt: skip
    # The dependencies come from this environment (no download); the project
    # itself only from the wheel: a plain path entry does not run this
    # environment's .pth files, so its editable install stays out.
    [purelib] = venv.glob("lib/python*/site-packages")
    (purelib / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    elsewhere.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "SEARCH_INDEX": str(tmp_path / "index"),
    }
    probe = run(venv / "bin" / "python", "-c", "import search; print(search.__file__)",
                cwd=elsewhere, env=env)  # fmt: skip
    assert str(venv) in probe.stdout, "the test ran the checkout, not the wheel"

    done = run(venv / "bin" / "search", "query", "Finlande", "--json", cwd=elsewhere, env=env)
    results = json.loads(done.stdout)
    paths = [hit["path"] for hit in results["hits"]]
    assert results["total"] >= 5 and all(str(purelib / "seeds") in p for p in paths)
    assert any(p.endswith("000_99cd1769caf176ce.txt") for p in paths), "the Madrid summit"
