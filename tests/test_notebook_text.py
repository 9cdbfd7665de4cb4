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


# Test machinery belongs in each notebook's collapsible "How this notebook is checked" note (or tests/README.md),
# not in the teaching prose: in every notebook of the series.
MACHINERY = re.compile(r"the check asks|the check in the cell|the cells? checks?\b|tests/README|seeds we ran|"
                       r"with seeds 1 and 2|earlier round|graded twice|tests yours|we assert\b|"
                       r"checked in code|an `?assert`? with a margin|graded by what|graded separately|hidden gift", re.I)


def teaching_prose(path):
    "The markdown cells without their <details> notes."
    return [re.sub(r"<details>.*?</details>", "", text, flags=re.S) for text in markdown(path)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_prose_is_free_of_test_machinery(path):
    for text in teaching_prose(path):
        found = MACHINERY.search(text)
        assert not found, (f"{path.name}: {text[max(0, found.start() - 60):found.end() + 40]!r} talks about how the "
                           "notebook is tested: move it into the notebook's 'How this notebook is checked' note")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_has_one_note_on_how_it_is_checked(path):
    notes = [text for text in markdown(path) if "<summary>How this notebook is checked</summary>" in text]
    assert len(notes) == 1, f"{path.name} needs exactly one 'How this notebook is checked' note, found {len(notes)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_how_exercises_are_checked_is_in_that_one_note(path):
    "An exercise says what to write and why; how its check works goes in the notebook's one note, not a note of its own."
    notes = [text for text in markdown(path) if re.search(r"<summary>How this (?!notebook)[^<]*checked", text)]
    assert not notes, f"{path.name}: move {notes[0][:80]!r}... into the 'How this notebook is checked' note"


def test_machinery_in_prose_is_caught(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "The gap was small (the check asks for less than 2 nats).\n\n<details>the check asks: fine here</details>")])
    nbformat.write(notebook, tmp_path / "05_test.ipynb")
    with pytest.raises(AssertionError, match="the check asks"):
        test_prose_is_free_of_test_machinery(tmp_path / "05_test.ipynb")
    for line in ("so that a mistake there is not graded twice", "What the text claims is checked in code, by an assert",
                 "the cell under it tests yours", "we assert 10^-8",
                 "it is graded by what it does", "Notice the hidden gift in the last check"):
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(line)]), tmp_path / "05_test.ipynb")
        with pytest.raises(AssertionError, match="talks about how"):
            test_prose_is_free_of_test_machinery(tmp_path / "05_test.ipynb")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "### Exercise 1\n\n<details><summary>How this exercise is checked</summary>\n\nBy a spy.\n</details>")]),
        tmp_path / "05_test.ipynb")
    with pytest.raises(AssertionError, match="into the 'How this notebook is checked' note"):
        test_how_exercises_are_checked_is_in_that_one_note(tmp_path / "05_test.ipynb")


def test_every_notebook_is_stored_as_jupyter_writes_it():
    """Sorted keys, one-space indent, UTF-8, a final newline (nbformat's form): book/set_repository.py rewrites
    notebooks in that form and must leave unchanged cells byte for byte as they were. A notebook written otherwise
    (json.dump without sort_keys) fails here at once, instead of in test_install_cell's byte comparison."""
    import json
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent / "notebooks"
    odd = [path.name for path in sorted(root.glob("*.ipynb")) + sorted((root / "assignments").glob("*.ipynb"))
           if path.read_text(encoding="utf-8") != json.dumps(json.loads(path.read_text(encoding="utf-8")), sort_keys=True,
                                                               indent=1, ensure_ascii=False) + "\n"]
    assert not odd, f"rewrite these as Jupyter does (open and save, or nbformat.write): {odd}"


# A number the prose quotes to two or more decimals is a measurement or a calculation, and the page must print it:
# an output of the same notebook shows it (to at least as many decimals, rounding to it), or the code states it,
# or its sentence says that it is a calculation.
# Numbers quoted from papers are listed here with their source; the references and the "How this notebook is
# checked" note (which records runs that are not on the page) are left out.
QUOTED = re.compile(r"(?<![\w.§])[-−]?\d+\.(\d{2,})(?![\d.]*\w)")
PRINTED = re.compile(r"(?<![\w.])-?\d+\.\d+(?:e[-+]?\d+)?")
FROM_PAPERS = {"06_evaluating_vaes": {"86.76", "84.78"}}   # Burda et al. (2016), Table 1


def printed_numbers(notebook):
    "Every decimal number in the notebook's outputs and code, as text."
    texts = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        texts.append(cell.source)
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts += [value for kind, value in output.get("data", {}).items() if kind in ("text/plain", "text/html")]
    return set(PRINTED.findall("\n".join(texts).replace("−", "-")))


def shows(printed, quoted):
    "Whether some printed number, rounded to the quoted number's decimals, is the quoted number."
    decimals = len(quoted.split(".")[1])
    return any(len(p.split(".")[1]) >= decimals and "e" not in p and
               abs(round(abs(float(p)), decimals) - abs(float(quoted))) < 10 ** -(decimals + 3) for p in printed)


def unprinted_numbers(path):
    printed = printed_numbers(nbformat.read(path, as_version=4))
    prose = [text for text in teaching_prose(path) if not text.startswith("## References")]
    missing = []
    for text in prose:
        text = re.sub(r"^#+ .*$|(?:[Ss]ection|§)\s*\d+(?:\.\d+)+", "", text, flags=re.M)   # section numbers
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z$*(])", text):
            if "a calculation" in sentence:
                continue
            for match in QUOTED.finditer(sentence):
                quoted = match.group().lstrip("-−")
                if quoted not in FROM_PAPERS.get(path.stem, ()) and not shows(printed, quoted):
                    missing.append(sentence[max(0, match.start() - 60):match.end() + 20].replace("\n", " "))
    return missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_number_the_prose_quotes_is_printed_on_the_page(path):
    missing = unprinted_numbers(path)
    assert not missing, f"{path.name}: the prose quotes numbers that no output or code of the page shows: " + \
        "; ".join(f"...{m}..." for m in missing)


def test_an_unprinted_number_is_caught(tmp_path):
    def notebook(prose, printed):
        cells = [nbformat.v4.new_markdown_cell(prose), nbformat.v4.new_code_cell("print(gap)")]
        cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
        nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / "99_test.ipynb")
        return unprinted_numbers(tmp_path / "99_test.ipynb")

    assert notebook("The gap was 0.57 nats, and −1.90 on average.", "gap 0.5712, mean -1.904") == []
    assert notebook("Section 3.10 aside, the gap was 0.57 nats.", "0.57") == []
    assert len(notebook("The gap was 0.57 nats.", "gap 0.58")) == 1
    assert len(notebook("The gap was 0.57 nats.", "gap 0.6")) == 1          # fewer decimals cannot show it
    assert notebook("Their difference (a calculation) is 0.57 nats. Then 1.5.", "") == []
    assert len(notebook("Their difference (a calculation) is 0.57 nats. The gap was 0.31.", "")) == 1
    assert notebook("<details>seed 4 gave 0.31</details> ## no", "") == []
