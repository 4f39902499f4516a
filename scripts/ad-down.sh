#!/usr/bin/env bash
# Stops the SSH target (scripts/ssh-target.sh) and the Samba AD DC started by
# scripts/ad-up.sh (SIGTERM, then SIGKILL after a timeout). No error when nothing runs.
#
#   scripts/ad-down.sh           # stop, keep the data in .data/samba
#   scripts/ad-down.sh --purge   # stop and delete .data/samba (and the SSH target's .data/ssh-target)
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd)"

# The physical path: a worktree may link .data/samba to a shared DC, and a running samba is
# recognised by the (resolved) path of its log file.
DATA_DIR="$(realpath -m -- "$REPO_ROOT/.data/samba")"
DC_DIR="$DATA_DIR/dc1"
CONF="$DC_DIR/etc/smb.conf"
PID_FILE="$DC_DIR/samba.pid"
LOG_FILE="$DC_DIR/samba.log"
RUN_DIR="$DC_DIR/run"
STOP_TIMEOUT="${AD_STOP_TIMEOUT:-15}"

die() {
  echo "ad-down: error: $*" >&2
  exit 1
}

purge=0
for arg in "$@"; do
  case "$arg" in
    --purge) purge=1 ;;
    -h | --help)
      sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$arg' (usage: ad-down.sh [--purge])" ;;
  esac
done

# The SSH target's logins ask the DC's winbind: it goes first.
bash "$SCRIPT_DIR/ssh-target.sh" down

# samba rewrites its command line ("samba: root process"): recognise ours by
# its stdout, which ad-up.sh sends to $LOG_FILE (or by an intact command line).
uses_our_conf() {
  [ "$(cat "/proc/$1/comm" 2>/dev/null || true)" = "samba" ] || return 1
  [ "$(readlink "/proc/$1/fd/1" 2>/dev/null || true)" = "$LOG_FILE" ] && return 0
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "-s $CONF"
}

# Every samba process started with our config: the one in the pid file and any
# other (e.g. when the pid file was lost).
pids=()
if [ -s "$PID_FILE" ]; then
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && uses_our_conf "$pid"; then
    pids+=("$pid")
  fi
fi
for pid in $(pgrep -x samba 2>/dev/null || true); do
  case " ${pids[*]-} " in *" $pid "*) continue ;; esac
  uses_our_conf "$pid" && pids+=("$pid")
done

alive() {
  local p
  for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done
  return 1
}

if [ "${#pids[@]}" -gt 0 ]; then
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while alive "${pids[@]}" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  if alive "${pids[@]}"; then
    echo "ad-down: samba did not stop within ${STOP_TIMEOUT}s, killing it" >&2
    kill -KILL "${pids[@]}" 2>/dev/null || true
    sleep 0.5
    alive "${pids[@]}" && die "could not stop samba (pids: ${pids[*]})"
  fi
fi

rm -f -- "$PID_FILE"
[ -d "$RUN_DIR" ] && rm -f -- "$RUN_DIR"/*.pid

if [ "$purge" -eq 1 ]; then
  # A second DC (scripts/ad-dc2.sh) goes with the domain's data, and so does 127.0.0.2 on lo when
  # ad-dc2.sh added it (its record of that is about to be deleted).
  if [ -d "$DATA_DIR/dc2" ] || [ -f "$DATA_DIR/dc2-lo-address" ]; then
    bash "$SCRIPT_DIR/ad-dc2.sh" stop >/dev/null
    SUDO=()
    [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
    # shellcheck source=lib/loopback.sh
    . "$SCRIPT_DIR/lib/loopback.sh"
    # The record is about to be deleted: a release that fails must stop the purge.
    released="$(lo_release 127.0.0.2 "$DATA_DIR/dc2-lo-address")" ||
      die "could not remove 127.0.0.2 from lo (ad-dc2.sh had added it); nothing was purged"
    [ "$released" != removed ] || echo "ad-down: removed 127.0.0.2 from lo (ad-dc2.sh had added it)"
  fi
  # Where .data/samba is a link to a shared DC, only the link goes (and the shared SSH target stays).
  [ -L "$REPO_ROOT/.data/samba" ] || rm -rf -- "$(dirname -- "$DATA_DIR")/ssh-target"
  rm -rf -- "$REPO_ROOT/.data/samba"
fi
