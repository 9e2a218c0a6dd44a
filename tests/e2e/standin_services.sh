#!/usr/bin/env bash
# Build offline stand-ins for the official postgres:17, mariadb:11, redis:7, rabbitmq:4,
# prom/prometheus and haproxy images, FROM the Python stand-in that standins.sh makes (see
# tests/e2e/standins/*/Dockerfile).
# Idempotent: an image is rebuilt only when its directory's files or the base image
# changed, as recorded in its slipway.standin.hash label.
set -euo pipefail

STANDIN_PYTHON_IMAGE="${STANDIN_PYTHON_IMAGE:-slipway-standin/python:3.13}"
HERE="$(cd "$(dirname "$0")" && pwd)"

log() { printf 'standins: %s\n' "$*" >&2; }

# Hash of every file in the build context (names and contents) and of the base image ID.
context_hash() {
    local base_id
    base_id="$(docker image inspect -f '{{.Id}}' "${STANDIN_PYTHON_IMAGE}")"
    {
        (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
        echo "${base_id}"
    } | sha256sum | cut -d' ' -f1
}

build_service_standin() {   # <image> <context directory>
    local image="$1" context="$2" hash current old_id build_log
    hash="$(context_hash "${context}")"
    current="$(docker image inspect -f '{{index .Config.Labels "slipway.standin.hash"}}' "${image}" 2>/dev/null || true)"
    old_id="$(docker image inspect -f '{{.Id}}' "${image}" 2>/dev/null || true)"
    if [ "${current}" = "${hash}" ]; then
        log "${image} already present"
        return
    fi
    build_log="/tmp/slipway-standin-${context##*/}.log"
    log "building ${image} (about 30 s; log: ${build_log})"
    # Classic builder: plain `docker build` has no BuildKit here.
    docker build --build-arg BASE_IMAGE="${STANDIN_PYTHON_IMAGE}" \
        --label slipway.standin.hash="${hash}" -t "${image}" "${context}" >"${build_log}" 2>&1 \
        || { log "building ${image} failed; see ${build_log}"; exit 1; }
    # Drop the outdated image; fails harmlessly while a container or child image uses it.
    if [ -n "${old_id}" ]; then docker rmi "${old_id}" >/dev/null 2>&1 || true; fi
    log "built ${image}"
}

if ! docker image inspect "${STANDIN_PYTHON_IMAGE}" >/dev/null 2>&1; then
    log "${STANDIN_PYTHON_IMAGE} is missing: run tests/e2e/standins.sh"
    exit 1
fi
build_service_standin "${STANDIN_POSTGRES_IMAGE:-slipway-standin/postgres:17}" "${HERE}/standins/postgres"
build_service_standin "${STANDIN_MARIADB_IMAGE:-slipway-standin/mariadb:11}" "${HERE}/standins/mariadb"
build_service_standin "${STANDIN_REDIS_IMAGE:-slipway-standin/redis:7}" "${HERE}/standins/redis"
build_service_standin "${STANDIN_RABBITMQ_IMAGE:-slipway-standin/rabbitmq:4}" "${HERE}/standins/rabbitmq"
build_service_standin "${STANDIN_PROMETHEUS_IMAGE:-slipway-standin/prometheus:trixie}" "${HERE}/standins/prometheus"
build_service_standin "${STANDIN_HAPROXY_IMAGE:-slipway-standin/haproxy:trixie}" "${HERE}/standins/haproxy"
