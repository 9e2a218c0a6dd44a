#!/usr/bin/env bash
# Entrypoint of the rabbitmq:4 stand-in: the default account from the environment, then
# the server in the foreground.
set -Eeuo pipefail

cat > "${RABBITMQ_CONFIG_FILE}" <<CONF
default_user = ${RABBITMQ_DEFAULT_USER:-guest}
default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}
default_user_tags.administrator = true
loopback_users = none
listeners.tcp.default = 5672
CONF
# Debian's /usr/sbin/rabbitmq-server is a wrapper shell that, as PID 1, ignores SIGTERM
# (compose stop then waits its whole grace period); the script it runs stops the broker
# on SIGTERM, as the official image's does.
if [ "$1" = rabbitmq-server ]; then
    shift
    set -- /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
fi
exec "$@"
