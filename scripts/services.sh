#!/usr/bin/env bash
# Makes sure the local services the tests use are running (PostgreSQL, RabbitMQ), starting any that
# is down with the machine's own start command, and waits until each answers.
set -uo pipefail

wait_for() { # name, probe command, tries
  local name="$1" probe="$2" tries="${3:-60}"
  for _ in $(seq "$tries"); do
    if eval "$probe" >/dev/null 2>&1; then echo "services: $name is up"; return 0; fi
    sleep 1
  done
  echo "services: $name did not come up"; return 1
}

if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  echo "services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
wait_for PostgreSQL "pg_isready -h 127.0.0.1 -p 5432" 60 || exit 1

if ! rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
  echo "services: starting RabbitMQ"
  rabbitmq-server -detached || true
fi
wait_for RabbitMQ "rabbitmq-diagnostics -q ping" 90 || exit 1
