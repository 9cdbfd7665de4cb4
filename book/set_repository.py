"""Point the series at another repository (a fork): `make repository URL=https://github.com/you/your-fork`.

The address is declared once, in pyproject.toml ([project.urls] Repository). The book's launch buttons read it
there (book/conf.py); this script rewrites that line, the default source in the install cell (the first code
cell) of every notebook and every student version, and the address where README.md quotes it, and nothing else. tests/test_install_cell.py fails when any of
them disagree.
"""

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URL_LINE = re.compile(r'^Repository = "[^"]*"$', flags=re.M)
INSTALL_DEFAULT = re.compile(r'("VAE_LIB_SOURCE", "git\+)[^"]*(")')


def declared(root=ROOT):
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]["urls"]["Repository"]


def notebooks(root=ROOT):
    folder = root / "notebooks"
    return sorted(folder.glob("[0-9][0-9]_*.ipynb")) + sorted((folder / "assignments").glob("[0-9][0-9]_*.ipynb"))


def install_cell(notebook):
    """The first code cell of a notebook read as plain JSON (no Jupyter package needed: make repository runs it
    with the system's Python), its source joined into one string."""
    cell = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    return cell, "".join(cell["source"])


def read(path):
    return json.loads(path.read_text(encoding="utf-8"))


def write(notebook, path):
    """As Jupyter writes a notebook (nbformat: sorted keys, one-space indent, UTF-8), so unchanged cells stay byte
    for byte as they were."""
    path.write_text(json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def disagreements(root=ROOT):
    """The notebooks whose install cell names another address than pyproject.toml declares (an empty list if none)."""
    url = declared(root)
    found = []
    for path in notebooks(root):
        _, source = install_cell(read(path))
        if len(INSTALL_DEFAULT.findall(source)) != 1 or f'"git+{url}"' not in source:
            found.append(path)
    return found


def retarget(url, root=ROOT):
    """Write `url` into pyproject.toml and every notebook's install cell; returns the files it changed."""
    if not re.fullmatch(r"https://[^\s\"]+[^/\s\"]", url):
        raise ValueError(f"{url!r} is not a repository address: give it as https://host/owner/name, without a "
                         "trailing slash (pip installs the notebooks' vae_lib from git+<address>)")
    changed = []
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    if len(URL_LINE.findall(text)) != 1:
        raise ValueError(f"{pyproject} must declare the address once, as Repository = \"...\" under [project.urls]")
    old = declared(root)
    new = URL_LINE.sub(f'Repository = "{url}"', text)
    if new != text:
        pyproject.write_text(new)
        changed.append(pyproject)
    readme = root / "README.md"
    if readme.is_file() and old != url and old in readme.read_text():
        readme.write_text(readme.read_text().replace(old, url))
        changed.append(readme)
    for path in notebooks(root):
        notebook = read(path)
        cell, old_source = install_cell(notebook)
        source = INSTALL_DEFAULT.sub(lambda m: m.group(1) + url + m.group(2), old_source)
        if source == old_source:
            continue
        cell["source"] = source.splitlines(keepends=True)
        write(notebook, path)
        changed.append(path)
    return changed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the repository's address, e.g. https://github.com/you/your-fork")
    url = parser.parse_args(argv).url
    try:
        changed = retarget(url)
    except ValueError as error:
        sys.exit(f"make repository: {error}")
    print(f"the series now points at {url}: {len(changed)} files changed")


if __name__ == "__main__":
    main()
