#!/bin/sh
# Test stand-in for the postgres:15-bookworm image's docker-entrypoint.sh (test/kube/agent-cluster.ts):
# Debian's PostgreSQL 15 binaries, the testkit's own, initialised on first start as the image does
# (POSTGRES_USER the superuser with POSTGRES_PASSWORD, POSTGRES_DB created, password logins over
# the network, trust on the local socket), then run bound to the pod's IP (pods share the host's
# network here; the image listens on every address). The chart runs it as uid 999, which has no
# passwd entry on this host and PostgreSQL refuses to run without one: nss_wrapper gives it one,
# as the image's own entrypoint does for an arbitrary uid.
set -eu
if ! getent passwd "$(id -u)" >/dev/null; then
  echo "postgres:x:$(id -u):$(id -g):PostgreSQL:/tmp:/bin/false" >/tmp/passwd
  echo "postgres:x:$(id -g):" >/tmp/group
  export LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD=/tmp/passwd NSS_WRAPPER_GROUP=/tmp/group
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  umask 077
  printf '%s\n' "$POSTGRES_PASSWORD" >/tmp/pwfile
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >/dev/null
  rm -f /tmp/pwfile
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\"" | postgres --single -D "$PGDATA" postgres >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses="$POD_IP" -k /tmp "$@"
