#!/usr/bin/env bash
# A throwaway PostgreSQL 15 on a loopback port, for the store's tests (developers and .ci/run alike).
#
#   deploy/scripts/postgres-test.sh start   # init (first time) and start; prints the JDBC URL
#   deploy/scripts/postgres-test.sh url     # prints the JDBC URL of the running server
#   deploy/scripts/postgres-test.sh stop    # stops it and deletes its data
#
# Then: FEDLORA_TEST_POSTGRES_URL=$(deploy/scripts/postgres-test.sh url) mvn -pl coordinator -am test
# Needs Debian's postgresql package (apt-get install -y postgresql), binaries in /usr/lib/postgresql/15/bin.
# Settings: FEDLORA_PG_PORT (default 55432), FEDLORA_PG_DIR (default /tmp/fedlora-pg-PORT), FEDLORA_PG_BIN.
# Authentication is "trust" on 127.0.0.1 only, for the superuser fedlora: test data, never real data.
set -euo pipefail

PORT=${FEDLORA_PG_PORT:-55432}
DIR=${FEDLORA_PG_DIR:-/tmp/fedlora-pg-$PORT}
BIN=${FEDLORA_PG_BIN:-/usr/lib/postgresql/15/bin}
URL="jdbc:postgresql://127.0.0.1:$PORT/postgres?user=fedlora"

# initdb and postgres refuse to run as root: as root, run them as the postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

running() {
  [ -f "$DIR/data/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1
}

case "${1:-}" in
  start)
    if [ ! -x "$BIN/initdb" ]; then
      echo "postgres-test: no PostgreSQL 15 in $BIN (apt-get install -y postgresql, or set FEDLORA_PG_BIN)" >&2
      exit 1
    fi
    if ! running; then
      if [ ! -f "$DIR/data/PG_VERSION" ]; then
        mkdir -p "$DIR"
        [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
        as_owner "$BIN/initdb" -D "$DIR/data" -A trust -U fedlora -E UTF8 >"$DIR/initdb.log" 2>&1 \
          || { cat "$DIR/initdb.log" >&2; exit 1; }
      fi
      as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" \
        -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off" -w start >/dev/null \
        || { echo "postgres-test: the server did not start; see $DIR/server.log" >&2; tail -20 "$DIR/server.log" >&2; exit 1; }
    fi
    echo "$URL"
    ;;
  url)
    running || { echo "postgres-test: not running (start it with: $0 start)" >&2; exit 1; }
    echo "$URL"
    ;;
  stop)
    if running; then
      as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null
    fi
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: $0 start|url|stop" >&2
    exit 2
    ;;
esac
