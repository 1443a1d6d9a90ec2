#!/usr/bin/env bash
# tether.sh <parent-pid> <command> [args...]
#
# Runs a stack component and ties its life to the launcher's: when the launcher dies, even by
# SIGKILL, the component is stopped too, so no etcd or kube-apiserver outlives a crashed test run.
# SIGTERM/SIGINT to this script are passed on to the component, which gets 10 s to exit.
set -u
parent=$1; shift
"$@" &
child=$!

stop_child() {
  kill -TERM "$child" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$child" 2>/dev/null
  wait "$child" 2>/dev/null
}

trap 'stop_child; exit 143' TERM INT
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do
  sleep 1 & wait $!
done
if kill -0 "$child" 2>/dev/null; then stop_child; exit 143; fi
wait "$child"
