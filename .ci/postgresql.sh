# A throwaway PostgreSQL server on 127.0.0.1, for the RelStorage tests.
#
# Sourced (by .ci/run):      source .ci/postgresql.sh
#   starts the server, exports SHERAF_TEST_POSTGRESQL and stops the server
#   (and deletes its files) when the calling shell exits, tests failed or not.
# Run with a command:        bash .ci/postgresql.sh .venv/bin/python -m pytest tests/test_relstorage.py
#   starts the server, runs the command with SHERAF_TEST_POSTGRESQL set, stops it.
#
# Installs Debian's postgresql package if no server is installed (as root).
# The cluster lives in a new folder under /tmp, owned by the postgres user
# when run as root; its superuser is sheraf (password sheraf), allowed to
# create the tests' databases. It is tuned for tests, not for keeping data:
# fsync is off.

sheraf_postgresql_start() {
    local initdb bin port
    initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$initdb" ]; then
        echo "postgresql.sh: installing Debian's postgresql package" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
        initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
    fi
    bin=$(dirname "$initdb")

    SHERAF_POSTGRESQL_DIR=$(mktemp -d /tmp/sheraf-postgresql.XXXXXX)
    SHERAF_POSTGRESQL_BIN=$bin
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$SHERAF_POSTGRESQL_DIR"
    fi
    echo sheraf > "$SHERAF_POSTGRESQL_DIR/password"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

    sheraf_postgresql_as_owner "$bin/initdb" -D "$SHERAF_POSTGRESQL_DIR/data" -U sheraf \
        --pwfile="$SHERAF_POSTGRESQL_DIR/password" --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --no-locale --no-sync >"$SHERAF_POSTGRESQL_DIR/initdb.log" 2>&1 \
        || { cat "$SHERAF_POSTGRESQL_DIR/initdb.log" >&2; return 1; }
    # Up to 2 gunicorn instances x 2 workers x 7 connections x 2 (RelStorage
    # loads and stores on two), and 100 greenlets each with a connection.
    sheraf_postgresql_as_owner "$bin/pg_ctl" -D "$SHERAF_POSTGRESQL_DIR/data" \
        -l "$SHERAF_POSTGRESQL_DIR/server.log" -w -t 60 start -o "-p $port \
        -c listen_addresses=127.0.0.1 -c unix_socket_directories=$SHERAF_POSTGRESQL_DIR \
        -c max_connections=400 -c shared_buffers=128MB -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off" >/dev/null \
        || { cat "$SHERAF_POSTGRESQL_DIR/server.log" >&2; return 1; }
    sheraf_postgresql_as_owner "$bin/createdb" -h "$SHERAF_POSTGRESQL_DIR" -p "$port" -U sheraf sheraf

    export SHERAF_TEST_POSTGRESQL="postgresql://sheraf:sheraf@127.0.0.1:$port/sheraf"
    echo "postgresql.sh: PostgreSQL $("$bin/postgres" -V | awk '{print $3}') on 127.0.0.1:$port ($SHERAF_POSTGRESQL_DIR)" >&2
}

sheraf_postgresql_stop() {
    if [ -n "${SHERAF_POSTGRESQL_DIR:-}" ] && [ -d "$SHERAF_POSTGRESQL_DIR/data" ]; then
        sheraf_postgresql_as_owner "$SHERAF_POSTGRESQL_BIN/pg_ctl" -D "$SHERAF_POSTGRESQL_DIR/data" \
            -m fast -w -t 30 stop >/dev/null 2>&1 \
            || sheraf_postgresql_as_owner "$SHERAF_POSTGRESQL_BIN/pg_ctl" -D "$SHERAF_POSTGRESQL_DIR/data" \
                -m immediate -w -t 30 stop >/dev/null 2>&1 || true
        echo "postgresql.sh: PostgreSQL stopped" >&2
    fi
    [ -n "${SHERAF_POSTGRESQL_DIR:-}" ] && rm -rf "$SHERAF_POSTGRESQL_DIR"
    SHERAF_POSTGRESQL_DIR=
}

sheraf_postgresql_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        # From /: the postgres user may not enter the current folder.
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    # Sourced: stop on exit, and let signals end the shell through its exit trap.
    trap sheraf_postgresql_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    sheraf_postgresql_start
else
    set -euo pipefail
    trap sheraf_postgresql_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    sheraf_postgresql_start
    if [ $# -gt 0 ]; then
        "$@"
    else
        echo "postgresql.sh: give a command to run with the server, e.g. bash .ci/postgresql.sh env" >&2
    fi
fi
