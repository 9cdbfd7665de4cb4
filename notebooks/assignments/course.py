"""Set up an nbgrader course for this series: one assignment per notebook that has graded exercises.

    make course COURSE=~/vae-course EXCHANGE=/srv/nbgrader/exchange
    (or: python notebooks/assignments/course.py ~/vae-course --exchange /srv/nbgrader/exchange)

It writes COURSE/nbgrader_config.py (this folder's settings, plus the course id and the exchange folder) and
COURSE/source/<notebook>/<notebook>.ipynb for each notebook with an exercise, so that each notebook is an
assignment of its own, named by the notebook: `nbgrader generate_assignment 04_vae`, and so on (README, "For
teachers"). Run again, it adds what is missing and keeps what is there (a note names any file it kept).
"""

import argparse
import importlib.util
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
COURSE_ID = "vae-notebooks"


def graded_notebooks():
    """The notebooks with at least one exercise (a cell whose nbgrader metadata marks a solution)."""
    found = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        if any(c.get("metadata", {}).get("nbgrader", {}).get("solution") for c in cells):
            found.append(path)
    return found


def write_course(course, exchange=None, course_id=COURSE_ID):
    """The course folder: its nbgrader_config.py and one source folder per graded notebook.

    Nothing a teacher may have edited is overwritten: an existing nbgrader_config.py, and an existing
    source/<notebook>/<notebook>.ipynb, are kept. The exchange folder is only named in the config; nbgrader's
    release_assignment creates it, with the permissions it needs. Returns (assignment names, notes).
    """
    course = Path(course).expanduser().resolve()
    course.mkdir(parents=True, exist_ok=True)
    notes = []
    config_file = course / "nbgrader_config.py"
    if config_file.exists():
        notes.append(f"kept your {config_file} (delete it to have a new one written)")
    else:
        config = (HERE / "nbgrader_config.py").read_text()
        config += f"\n# Written by notebooks/assignments/course.py for this course.\nc.CourseDirectory.course_id = {course_id!r}\n"
        if exchange is not None:
            config += f"c.Exchange.root = {str(Path(exchange).expanduser().resolve())!r}\n"
        config_file.write_text(config)
    names = []
    for path in graded_notebooks():
        target = course / "source" / path.stem / path.name
        names.append(path.stem)
        if target.exists():
            if target.read_bytes() != path.read_bytes():
                notes.append(f"kept your {target}, which differs from {path.relative_to(ROOT)}")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return names, notes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("course", help="the course folder, e.g. ~/vae-course (created if missing)")
    parser.add_argument("--exchange", help="nbgrader's exchange folder, shared with the students "
                                           "(default: nbgrader's, /srv/nbgrader/exchange)")
    parser.add_argument("--course-id", default=COURSE_ID, help=f"the course id students fetch with (default {COURSE_ID})")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("nbgrader") is None:
        sys.exit("the teacher's commands need nbgrader, which comes with the teacher extra: "
                 "pip install -e '.[teacher]' in this repository (make course installs it)")
    names, notes = write_course(args.course, args.exchange, args.course_id)
    for note in notes:
        print(f"note: {note}")
    print(f"course {args.course_id} in {Path(args.course).expanduser()}: {len(names)} assignments, "
          f"one per notebook: {' '.join(names)}")


if __name__ == "__main__":
    main()
