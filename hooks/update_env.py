"""Copier migration, after every update: give .env the variables that the update added to
.env.example (a cache switched on, say), with fresh secrets. Never changes a value that
is already there, but warns of one the service now refuses. Run in the updated project:
python update_env.py"""

from pathlib import Path

from console import Skipped, show
from project_setup import add_missing_env_variables, check_env_hosts

if __name__ == "__main__":
    outcome = add_missing_env_variables(Path.cwd())
    if not isinstance(outcome, Skipped):  # most updates add nothing: say nothing then
        show(outcome)
    if (warning := check_env_hosts(Path.cwd())) is not None:
        show(warning)
