#!/usr/bin/env bash
# Entrypoint of the mariadb:11 stand-in: the subset of the official image's
# docker-entrypoint.sh that compose files rely on.
set -Eeuo pipefail

DATADIR=/var/lib/mysql
# The temporary server's socket: not the default one, which health checks may probe.
SOCKET=/run/mysqld/init.sock

log() { printf 'entrypoint: %s\n' "$*" >&2; }
# A value inside '...' in SQL: escape backslashes and quotes.
sql_string() { local s=${1//\\/\\\\}; printf '%s' "${s//\'/\\\'}"; }
# A name inside `...` in SQL: double the backticks.
sql_name() { printf '%s' "${1//\`/\`\`}"; }

# `docker run image --foo` means `mariadbd --foo`.
if [ "${1:0:1}" = '-' ]; then
    set -- mariadbd "$@"
fi

if [ "$1" = mariadbd ] && [ "$(id -u)" = 0 ]; then
    # Fresh volumes are owned by root: hand them to mysql, then drop privileges.
    mkdir -p "$DATADIR" /run/mysqld
    chown mysql:mysql "$DATADIR" /run/mysqld
    exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" "$@"
fi

if [ "$1" = mariadbd ] && [ ! -d "$DATADIR/mysql" ]; then
    # The official image also accepts the MYSQL_* names.
    : "${MARIADB_ROOT_PASSWORD:=${MYSQL_ROOT_PASSWORD:-}}"
    : "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:=${MYSQL_ALLOW_EMPTY_PASSWORD:-}}"
    : "${MARIADB_DATABASE:=${MYSQL_DATABASE:-}}"
    : "${MARIADB_USER:=${MYSQL_USER:-}}"
    : "${MARIADB_PASSWORD:=${MYSQL_PASSWORD:-}}"
    : "${MARIADB_ROOT_HOST:=%}"
    if [ -z "$MARIADB_ROOT_PASSWORD" ] && [ -z "$MARIADB_ALLOW_EMPTY_ROOT_PASSWORD" ]; then
        log "set MARIADB_ROOT_PASSWORD (or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1)"
        exit 1
    fi
    if [ -n "$MARIADB_USER" ] && [ -z "$MARIADB_PASSWORD" ]; then
        log "MARIADB_USER is set but MARIADB_PASSWORD is not"
        exit 1
    fi

    log "initialising $DATADIR"
    # root@localhost starts with an empty password ("normal"), set below.
    mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
        --skip-test-db --skip-name-resolve "${@:2}" >/dev/null
    # A temporary server without networking, so health checks fail until we are done.
    "$@" --skip-networking --socket="$SOCKET" --pid-file=/run/mysqld/init.pid &
    pid=$!
    for _ in $(seq 1 60); do
        mariadb-admin --socket="$SOCKET" -uroot --silent ping >/dev/null 2>&1 && break
        sleep 0.5
    done

    root_pw=$(sql_string "$MARIADB_ROOT_PASSWORD")
    {
        echo "SET @@SESSION.SQL_LOG_BIN=0;"
        echo "DROP USER IF EXISTS root@'127.0.0.1', root@'::1';"
        printf '%s\n' "EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@\\'', @@hostname, '\\'');"
        echo "SET PASSWORD FOR 'root'@'localhost' = PASSWORD('$root_pw');"
        if [ "$MARIADB_ROOT_HOST" != localhost ]; then
            root_host=$(sql_string "$MARIADB_ROOT_HOST")
            echo "CREATE USER 'root'@'$root_host' IDENTIFIED BY '$root_pw';"
            echo "GRANT ALL ON *.* TO 'root'@'$root_host' WITH GRANT OPTION;"
        fi
        if [ -n "$MARIADB_DATABASE" ]; then
            echo "CREATE DATABASE IF NOT EXISTS \`$(sql_name "$MARIADB_DATABASE")\`;"
        fi
        if [ -n "$MARIADB_USER" ]; then
            user=$(sql_string "$MARIADB_USER")
            echo "CREATE USER '$user'@'%' IDENTIFIED BY '$(sql_string "$MARIADB_PASSWORD")';"
            if [ -n "$MARIADB_DATABASE" ]; then
                echo "GRANT ALL ON \`$(sql_name "$MARIADB_DATABASE")\`.* TO '$user'@'%';"
            fi
        fi
    } | mariadb --socket="$SOCKET" -uroot --binary-mode
    # SIGTERM is a clean shutdown.
    kill "$pid"
    wait "$pid"
    log "initialised: database ${MARIADB_DATABASE:-(none)}, user ${MARIADB_USER:-(none)}"
fi

exec "$@"
