"""The notebooks' prose: each ends with its references, and every paper cited in the text is among them."""

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# "Burda et al. (2016)", "Kingma & Welling (2014)", "(Greensmith et al., 2004; Mnih & Gregor, 2014)", "Williams (1992)"
CITATION = re.compile(r"([A-Z][a-z]+)(?: et al\.| & [A-Z][a-z]+)?,? \(?(1[89]\d\d|20\d\d)\b")


def markdown(path):
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_ends_with_its_references(path):
    last = markdown(path)[-1]
    assert last.startswith("## References"), f"{path.name} must end with a '## References' cell"
    assert re.search(r"^- .+\(\d{4}\)\.", last, flags=re.M), f"{path.name}'s references list no paper"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_citation_is_in_the_references(path):
    cells = markdown(path)
    entries = [line for line in cells[-1].splitlines() if line.startswith("- ")]
    for text in cells:
        for surname, year in CITATION.findall(text):
            assert any(surname in entry and f"({year})" in entry for entry in entries), (
                f"{path.name} cites {surname} ({year}) but its references do not list it")


def test_a_missing_reference_is_caught(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("As Burda et al. (2016) and Cremer et al. (2018) showed."),
        nbformat.v4.new_markdown_cell("## References\n\n- Burda, Y. (2016). *IWAE.*")])
    nbformat.write(notebook, tmp_path / "99_test.ipynb")
    with pytest.raises(AssertionError, match="cites Cremer"):
        test_every_citation_is_in_the_references(tmp_path / "99_test.ipynb")
