"""environment.yml (conda, Binder) and pyproject.toml (pip) must ask for the same packages: a student's set.

Also: the student's set (`pip install -e '.[lab]'`) pulls in no teacher's or maintainer's tool, as resolved from the
installed packages' own requirements, so a student's JupyterLab shows no nbgrader tools.
"""

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


def pyproject_requirements(extras=("lab",)):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + sum((project["optional-dependencies"][e] for e in extras), [])
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


def closure(requirement_names):
    """Every distribution the named ones require, transitively, as installed here (markers evaluated)."""
    from importlib import metadata
    from packaging.requirements import Requirement

    seen, todo = set(), [(name, frozenset()) for name in requirement_names]
    while todo:
        name, extras = todo.pop()
        key = name.lower().replace("_", "-")
        if (key, extras) in seen:
            continue
        seen.add((key, extras))
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            environments = [{"extra": e} for e in extras] or [{"extra": ""}]
            if requirement.marker is None or any(requirement.marker.evaluate(env) for env in environments):
                todo.append((requirement.name, frozenset(requirement.extras)))
    return {key for key, _ in seen}


def test_the_student_set_installs_no_teacher_or_maintainer_tools():
    students = closure(pyproject_requirements(("lab",)))
    assert {"torch", "jupyterlab", "voila", "ipywidgets", "jupyter-server", "nbconvert"} <= students
    for tool in ("nbgrader", "sphinx", "playwright", "pytest", "nbval", "myst-nb"):
        assert tool not in students, f"{tool} is in the student's set"
    teachers = closure(pyproject_requirements(("lab", "teacher")) | {"nbgrader": ""})
    assert "nbgrader" in teachers and "alembic" in teachers          # the closure does follow requirements


def test_the_extras_nest_student_teacher_maintainer():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert set(extras) == {"lab", "teacher", "dev"}
    assert "vae-lib[lab]" in extras["teacher"] and "vae-lib[teacher]" in extras["dev"]
    named = lambda extra: {name_and_bound(r)[0] for r in extras[extra]}
    assert "nbgrader" in named("teacher") and "nbgrader" not in named("lab") | set(pyproject_requirements(()))
    assert {"sphinx", "playwright", "pytest"} <= named("dev")
