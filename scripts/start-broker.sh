#!/usr/bin/env bash
# Make sure an MQTT broker that keeps a gateway's queued messages is running, and print
# the MQTT_URL to use (one line on stdout: MQTT_URL=mqtt://127.0.0.1:PORT).
#
#   eval "$(scripts/start-broker.sh)"            # the system broker if configured so, else ours
#   eval "$(scripts/start-broker.sh --own)"      # always the project's own broker
#   scripts/start-broker.sh --stop               # stop the project's own broker
#
# Options: --url URL (broker to check first; default $MQTT_URL or mqtt://127.0.0.1:1883),
# --port PORT (own broker's port; default $YIYANG_BROKER_PORT or 18830), --dir DIR (its
# config, persistence and log; default var/mosquitto). The check is `yiyang check-broker`:
# a persistent session must get back all of 1,200 messages queued while it was away.
# The own broker runs deploy/mosquitto/mosquitto.conf with only the listener and the
# persistence location changed. Progress goes to stderr.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
URL="${MQTT_URL:-mqtt://127.0.0.1:1883}"
PORT="${YIYANG_BROKER_PORT:-18830}"
DIR="$ROOT/var/mosquitto"
OWN=0
STOP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --own) OWN=1 ;;
    --stop) STOP=1 ;;
    --url) URL="$2"; shift ;;
    --port) PORT="$2"; shift ;;
    --dir) DIR="$2"; shift ;;
    *) echo "start-broker: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
say() { echo "start-broker: $*" >&2; }
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PIDFILE="$DIR/mosquitto.pid"

if [ "$STOP" = 1 ]; then
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    kill "$(cat "$PIDFILE")"
    say "stopped the project broker (pid $(cat "$PIDFILE"))"
  fi
  exit 0
fi

check() {
  (cd "$ROOT" && YIYANG_MODE="${YIYANG_MODE:-test}" "$PY" -m yiyang check-broker --url "$1") >&2
}

if [ "$OWN" = 0 ]; then
  if check "$URL"; then
    say "using $URL: it keeps queued messages"
    echo "MQTT_URL=$URL"
    exit 0
  fi
  say "$URL is missing or would drop queued messages; starting the project's own broker"
fi

MOSQUITTO="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
if [ ! -x "$MOSQUITTO" ]; then
  say "mosquitto is not installed (apt-get install mosquitto)"
  exit 3
fi
mkdir -p "$DIR"
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && up "$PORT"; then
  say "the project broker already runs on port $PORT (pid $(cat "$PIDFILE"))"
else
  CONF="$DIR/mosquitto.conf"
  sed -e "s|^listener .*|listener $PORT 127.0.0.1|" \
      -e "s|^persistence_location .*|persistence_location $DIR/|" \
      "$ROOT/deploy/mosquitto/mosquitto.conf" > "$CONF"
  {
    echo "pid_file $PIDFILE"
    echo "log_dest file $DIR/mosquitto.log"
    # As root, Mosquitto drops to the mosquitto user, which cannot write to $DIR.
    if [ "$(id -u)" = 0 ]; then echo "user root"; fi
  } >> "$CONF"
  "$MOSQUITTO" -d -c "$CONF"
  for _ in $(seq 1 50); do up "$PORT" && break; sleep 0.1; done
  up "$PORT" || { say "the project broker did not start: see $DIR/mosquitto.log"; exit 3; }
  say "started the project broker on port $PORT with deploy/mosquitto/mosquitto.conf ($CONF)"
fi
echo "MQTT_URL=mqtt://127.0.0.1:$PORT"
