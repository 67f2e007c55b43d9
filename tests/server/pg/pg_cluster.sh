#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests (issue #12), on 127.0.0.1,
# a free port and a temporary directory, as an unprivileged user: PostgreSQL
# refuses to run as root, and this machine and CI run the tests as root.
#   pg_cluster.sh start DIR   initdb + pg_ctl start in a new temporary directory;
#                             writes DIR/url (postgresql://…) and DIR/cluster (where it lives)
#   pg_cluster.sh stop DIR    pg_ctl stop, then removes the cluster and DIR
#   pg_cluster.sh restart DIR pg_ctl restart (fast: sessions are terminated), same port (the fault tests)
# DIR may lie where the cluster's user cannot reach (a build tree under /root):
# the cluster itself lives in /tmp.
# Installs nothing: scripts/setup.sh installs postgresql-15.
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
cmd=${1:?start, stop or restart}
dir=${2:?a directory}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  [ -x "$bin/initdb" ] || { echo "pg_cluster: $bin/initdb is missing (run scripts/setup.sh)" >&2; exit 1; }
  "$0" stop "$dir"
  mkdir -p "$dir"
  cluster=$(mktemp -d /tmp/consent-pg.XXXXXX)
  echo "$cluster" >"$dir/cluster"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$cluster"; fi
  # A port the kernel hands out is free now; the cluster binds it at once.
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_owner "$bin/initdb" -D "$cluster/data" -U consent --auth=trust --encoding=UTF8 --no-locale >"$cluster/initdb.log"
  as_owner "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$cluster -c max_connections=200" \
    start >/dev/null
  echo "postgresql://consent@127.0.0.1:$port/postgres" >"$dir/url"
  echo "pg_cluster: started on 127.0.0.1:$port"
  ;;
stop)
  if [ -f "$dir/cluster" ]; then
    cluster=$(cat "$dir/cluster")
    case "$cluster" in /tmp/consent-pg.*) ;; *) echo "pg_cluster: $dir/cluster names no cluster of ours" >&2; exit 1 ;; esac
    if [ -d "$cluster/data" ]; then as_owner "$bin/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null || true; fi
    rm -rf "$cluster"
  fi
  rm -rf "$dir"
  ;;
restart)
  cluster=$(cat "$dir/cluster")
  case "$cluster" in /tmp/consent-pg.*) ;; *) echo "pg_cluster: $dir/cluster names no cluster of ours" >&2; exit 1 ;; esac
  as_owner "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -m fast -w -t 60 restart >/dev/null
  ;;
*) echo "pg_cluster: start, stop or restart" >&2; exit 2 ;;
esac
