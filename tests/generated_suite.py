"""Which generated tests the template's own runs leave out, in which rows, and why.

Some generated tests are slow (they start real servers and signal them, fuzz every
operation, race two migration runs) and test code that is the same in many render rows.
The render matrix runs each of them in the first row for every value of what it depends
on, and leaves it out of the other rows; the update tests and the e2e run of `make
check-with-services` leave them all out, as their rows' answers are run in the matrix.
A generated project's own `make check` runs every test.
"""

from collections.abc import Callable, Hashable

from .answers import RENDER_MATRIX, Answers, components, monitors_with


def database(answers: Answers) -> str:
    return str(answers.get("database", "postgresql"))


def python_version(answers: Answers) -> str:
    return str(answers.get("python_version", "3.13"))


def operations(answers: Answers) -> tuple[bool, bool]:
    """What decides the API's operations: the items routes, the jobs routes."""
    return database(answers) != "none", components(answers)[1] != "none"


# Each test (a path, or a path::name) and what it depends on: None where the row has no
# such test (its file is not rendered).
SHUTDOWN = "tests/test_shutdown.py"
ONCE_PER: dict[str, Callable[[Answers], Hashable | None]] = {
    # The drain's mechanics (signals, uvicorn's processes); test_sigterm_lets_in_flight_
    # requests_finish, which opens every dependency, runs in every row.
    f"{SHUTDOWN}::test_sigterm_drains_before_the_shutdown": python_version,
    f"{SHUTDOWN}::test_a_second_sigterm_ends_the_drain_at_once": python_version,
    f"{SHUTDOWN}::test_every_worker_process_drains": python_version,
    "tests/test_api_fuzz.py": lambda answers: (database(answers), *operations(answers)),
    "tests/database/test_migrations.py": lambda answers: (
        database(answers) if database(answers) != "none" else None
    ),
    "tests/database/test_unanswered.py": lambda answers: (
        database(answers) if database(answers) in ("postgresql", "mysql") else None
    ),
    "tests/metrics/test_serving.py::test_several_workers_are_counted_together": lambda answers: (
        python_version(answers) if monitors_with(answers, "prometheus") else None
    ),
}


def file_of(test: str) -> str:
    return test.split("::")[0]


def runs_in(test: str, row: str) -> bool:
    """The first row of the matrix with this row's value of what `test` depends on."""
    depends_on = ONCE_PER[test]
    value = depends_on(RENDER_MATRIX[row])
    if value is None:
        return False
    first = next(name for name, answers in RENDER_MATRIX.items() if depends_on(answers) == value)
    return first == row


def deselected_in(row: str | None) -> list[str]:
    """pytest options that leave out what another row runs; every such test for None."""
    left_out = [test for test in ONCE_PER if row is None or not runs_in(test, row)]
    return [option for test in left_out for option in ("--deselect", test)]


def pytest_addopts(row: str | None) -> str:
    """The same, for PYTEST_ADDOPTS, where the command that runs pytest is a make target."""
    return " ".join(deselected_in(row))
