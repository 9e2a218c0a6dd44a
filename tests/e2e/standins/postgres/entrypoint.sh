#!/usr/bin/env bash
# Entrypoint of the postgres:17 stand-in: the subset of the official image's
# docker-entrypoint.sh that compose files rely on.
set -Eeuo pipefail

log() { printf 'entrypoint: %s\n' "$*" >&2; }

# `docker run image -c foo=bar` means `postgres -c foo=bar`.
if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
fi

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
    # Fresh volumes are owned by root: hand them to postgres, then drop privileges.
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_USER:=postgres}"
    : "${POSTGRES_DB:=$POSTGRES_USER}"
    : "${POSTGRES_PASSWORD:=}"
    : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
        log "POSTGRES_PASSWORD is not set (set it, or POSTGRES_HOST_AUTH_METHOD=trust)"
        exit 1
    fi
    log "initialising $PGDATA"
    # initdb's own pg_hba.conf trusts the socket and loopback, as in the official image;
    # every other host must authenticate. POSTGRES_INITDB_ARGS is split into words on purpose.
    # shellcheck disable=SC2086
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        ${POSTGRES_INITDB_ARGS:-} >/dev/null
    printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

    if [ "$POSTGRES_DB" != postgres ]; then
        # A temporary server without TCP and with a private socket, so that neither clients
        # nor health checks (pg_isready) see a server before we are done.
        sockdir="$(mktemp -d)"
        pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=$sockdir" \
            -w start >/dev/null
        psql -v ON_ERROR_STOP=1 --no-psqlrc -h "$sockdir" -U "$POSTGRES_USER" -d postgres \
            -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";' >/dev/null
        pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
        rmdir "$sockdir"
    fi
    log "initialised: user $POSTGRES_USER, database $POSTGRES_DB"
fi

exec "$@"
