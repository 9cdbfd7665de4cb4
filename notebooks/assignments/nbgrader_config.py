# nbgrader configuration for the VAE series. `make assignments` uses it to generate the student
# notebooks in this folder; `make course` (course.py) copies it into a teacher's course folder (README, "For teachers").
c = get_config()  # noqa: F821  (provided by nbgrader)

c.CourseDirectory.course_id = "vae-notebooks"
# The stub raises a NotImplementedError that names the exercise it stands in (vae_lib.exercises.unfinished).
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise vae_lib.exercises.unfinished()"}
# Generous timeout: notebook 05 trains two models when no checkpoint exists.
c.ExecutePreprocessor.timeout = 900
