"""environment.yml (conda, Binder) and pyproject.toml (pip) must ask for the same packages."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONDA_TO_PIP = {"pytorch-cpu": "torch", "pytorch": "torch"}
CONDA_ONLY = {"python", "pip"}


def name_and_bound(requirement):
    name, bound = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", requirement).groups()
    return name.lower().replace("_", "-"), bound.replace(" ", "")


def pyproject_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    return dict(name_and_bound(r) for r in requirements)


def conda_requirements():
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    found = {}
    for entry in spec["dependencies"]:
        if isinstance(entry, str):
            name, bound = name_and_bound(entry)
            if name not in CONDA_ONLY:
                found[CONDA_TO_PIP.get(name, name)] = bound
        else:  # the pip: list, for packages conda-forge lacks (its options, such as --editable, are not packages)
            for requirement in entry.get("pip", []):
                if not requirement.startswith("-"):
                    name, bound = name_and_bound(requirement.split("#")[0])
                    found[name] = bound
    return found


def test_same_packages_and_bounds():
    assert conda_requirements() == pyproject_requirements()


def test_same_minimum_python():
    """pyproject's requires-python and environment.yml's python pin name the same minimum version."""
    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    pinned = next(e for e in spec["dependencies"] if isinstance(e, str) and e.startswith("python"))
    minimum = re.fullmatch(r">=(3\.\d+)", required.replace(" ", "")).group(1)
    assert re.fullmatch(rf"python(=|>=){re.escape(minimum)}", pinned.replace(" ", "")), (required, pinned)


def test_environment_installs_the_repo_itself():
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(e["pip"] for e in spec["dependencies"] if isinstance(e, dict))
    assert "--editable ." in pip_section
