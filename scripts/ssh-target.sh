#!/usr/bin/env bash
# The SSH target ("device" LNX01): a real OpenSSH server on 127.0.0.1 whose logins are accounts of
# the local Samba domain and whose sudo follows AD group membership (JIT Linux Admins). Started by
# scripts/ad-up.sh, stopped by scripts/ad-down.sh.
#
#   scripts/ssh-target.sh up        # start it (no-op when it runs with the same configuration)
#   scripts/ssh-target.sh down      # stop it and every session it serves
#   scripts/ssh-target.sh status    # "running …" (exit 0) or "stopped" (exit 3)
#   scripts/ssh-target.sh check     # does the DC's winbind answer, as the target sees it? (`getent`)
#   scripts/ssh-target.sh fingerprint   # its ed25519 host key, OpenSSH's "SHA256:…" form
#
# The machine's /etc is left alone: sshd runs in a mount namespace of its own (host network), where
# nsswitch.conf, /etc/passwd and /etc/group (plus the `sshd` privilege-separation user), PAM's sshd
# and sudo files and /etc/sudoers.d are this script's files, /run is a private tmpfs, and
# /run/samba/winbindd (the fixed path NSS and PAM ask) is the DC's winbindd socket directory.
#
# Environment: SSH_TARGET_PORT [2222].
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd)"

NETBIOS_DOMAIN="INTERIM"
SUDO_GROUP="JIT Linux Admins"
LISTEN_IP="127.0.0.1"
PORT="${SSH_TARGET_PORT:-2222}"
[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || {
  echo "ssh-target: error: SSH_TARGET_PORT must be a port number, not '$PORT'" >&2
  exit 1
}

# The target goes with the DC it asks (a worktree's .data/samba may link to a shared DC): its
# directory is the ssh-target/ next to the DC's data, and the DC's smb.conf names its home dirs.
SAMBA_DIR="$(realpath -m -- "$REPO_ROOT/.data/samba")"
DC_DIR="$SAMBA_DIR/dc1"
WINBIND_DIR="$DC_DIR/run/winbindd" # = `winbindd socket directory` in the DC's smb.conf (ad-up.sh)
TARGET_DIR="$(dirname -- "$SAMBA_DIR")/ssh-target"
ETC="$TARGET_DIR/etc"
CONF="$ETC/sshd_config"
HOST_KEY="$TARGET_DIR/ssh_host_ed25519_key"
PID_FILE="$TARGET_DIR/sshd.pid"
LOG_FILE="$TARGET_DIR/sshd.log"
HOME_DIR="$TARGET_DIR/home"
START_TIMEOUT="${SSH_TARGET_START_TIMEOUT:-30}"

die() {
  echo "ssh-target: error: $*" >&2
  exit 1
}

# ------------------------------------------------------------------ process --
# Our sshd: named sshd, started with our config file.
is_ours() {
  [ "$(cat "/proc/$1/comm" 2>/dev/null || true)" = "sshd" ] || return 1
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "-f $CONF "
}

running_pid() {
  local pid
  if [ -s "$PID_FILE" ]; then
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && is_ours "$pid"; then
      echo "$pid"
      return 0
    fi
  fi
  for pid in $(pgrep -x sshd 2>/dev/null || true); do
    is_ours "$pid" && { echo "$pid"; return 0; }
  done
  return 1
}

# "pid comm" of whatever listens on LISTEN_IP:PORT (or a wildcard covering it), one per line.
listeners() {
  ss -Hltnp "sport = :$PORT" 2>/dev/null | while read -r _state _recv _send local _peer rest; do
    case "$local" in
      "$LISTEN_IP:$PORT" | "0.0.0.0:$PORT" | "*:$PORT" | "[::ffff:$LISTEN_IP]:$PORT") ;;
      *) continue ;;
    esac
    if [[ "$rest" =~ pid=([0-9]+) ]]; then
      echo "${BASH_REMATCH[1]} $(cat "/proc/${BASH_REMATCH[1]}/comm" 2>/dev/null || echo '?')"
    else
      echo "? ?"
    fi
  done
}

# Daemons must not keep the caller's descriptors: a `flock LOCK scripts/ad-up.sh` would otherwise
# leave LOCK held for as long as the daemon runs.
close_inherited_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd="${fd##*/}"
    [ "$fd" -gt 2 ] && eval "exec $fd>&-"
  done 2>/dev/null
  return 0
}

fingerprint() {
  ssh-keygen -l -E sha256 -f "$HOST_KEY.pub" | awk '{ print $2 }'
}

# ------------------------------------------------------------ the namespace --
# Shell run inside `unshare --mount` before sshd (or a check) starts: the mounts listed above.
# Mounts made here stay in the namespace (unshare makes propagation private).
namespace_setup() {
  local f q
  echo "set -euo pipefail"
  echo "mount -t tmpfs -o mode=0755,nosuid,nodev interim-ssh-target /run"
  echo "mkdir -m 0755 -p /run/samba/winbindd /run/sshd"
  echo "mount --bind $(printf %q "$WINBIND_DIR") /run/samba/winbindd"
  for f in nsswitch.conf passwd group pam.d/sshd pam.d/sudo sudoers.d; do
    echo "mount --bind $(printf %q "$ETC/$f") /etc/$f"
  done
  # Login records go to files of ours, not the machine's.
  for f in /var/log/wtmp /var/log/btmp /var/log/lastlog; do
    q="$(printf %q "$TARGET_DIR/log/${f##*/}")"
    [ -f "$f" ] && echo "mount --bind $q $f"
  done
  return 0
}

# ---------------------------------------------------------------- the files --
changed=0
# write_file PATH MODE: stdin to PATH when its content differs (in place: a running namespace
# has the file bind-mounted, by inode).
write_file() {
  local path="$1" mode="$2" content
  content="$(cat)"
  if [ ! -f "$path" ] || [ "$(cat "$path")" != "$content" ]; then
    printf '%s\n' "$content" >"$path"
    changed=1
  fi
  chmod "$mode" "$path"
}

write_files() {
  mkdir -p "$ETC/pam.d" "$ETC/sudoers.d" "$TARGET_DIR/log" "$HOME_DIR"
  chmod 0755 "$TARGET_DIR" "$ETC" "$ETC/pam.d" "$ETC/sudoers.d" "$HOME_DIR"
  chmod 0755 "$TARGET_DIR/log"
  local f
  for f in wtmp btmp lastlog; do [ -f "$TARGET_DIR/log/$f" ] || : >"$TARGET_DIR/log/$f"; done
  chmod 0664 "$TARGET_DIR/log/wtmp" "$TARGET_DIR/log/lastlog"
  chmod 0600 "$TARGET_DIR/log/btmp" # failed logins: sshd refuses a readable btmp

  if [ ! -f "$HOST_KEY" ]; then
    ssh-keygen -q -t ed25519 -N '' -C "lnx01.interim.test" -f "$HOST_KEY" || die "ssh-keygen failed"
  fi
  chmod 0600 "$HOST_KEY"

  write_file "$ETC/nsswitch.conf" 0644 <<'EOF'
# scripts/ssh-target.sh: the SSH target's view (a mount namespace); accounts come from the DC's winbind.
passwd:         files winbind
group:          files winbind
shadow:         files
gshadow:        files
hosts:          files dns
networks:       files
protocols:      db files
services:       db files
ethers:         db files
rpc:            db files
netgroup:       files
EOF

  # The machine's accounts, plus sshd's privilege-separation user where the machine has none.
  {
    cat /etc/passwd
    grep -q '^sshd:' /etc/passwd || echo 'sshd:x:74:65534:sshd privilege separation:/run/sshd:/usr/sbin/nologin'
  } | write_file "$ETC/passwd" 0644
  {
    cat /etc/group
    grep -q '^nogroup:' /etc/group || echo 'nogroup:x:65534:'
  } | write_file "$ETC/group" 0644

  # Only domain accounts log in (DESIGN.md, "An sshd device whose logins are AD accounts").
  write_file "$ETC/pam.d/sshd" 0644 <<EOF
# scripts/ssh-target.sh: logins are the domain's accounts, checked by the DC's winbind.
auth     [success=done new_authtok_reqd=done default=die] pam_winbind.so
account  [success=done new_authtok_reqd=done default=die] pam_winbind.so
password required pam_deny.so
session  required pam_mkhomedir.so skel=/etc/skel umask=0077
session  required pam_permit.so
EOF
  # sudo asks no password (only NOPASSWD rules exist); the account must still hold in AD.
  write_file "$ETC/pam.d/sudo" 0644 <<EOF
# scripts/ssh-target.sh: sudo by AD group membership only (sudoers.d/interim-jit).
auth     required pam_deny.so
account  [success=done new_authtok_reqd=done default=die] pam_winbind.so
session  required pam_permit.so
EOF
  # On a DC, winbind's names are always qualified (DOMAIN\name); spaces escaped for sudoers.
  local group="${NETBIOS_DOMAIN}\\\\${SUDO_GROUP// /\\ }"
  write_file "$ETC/sudoers.d/interim-jit" 0440 <<EOF
# scripts/ssh-target.sh: members of the AD group "$SUDO_GROUP" (granted just in time by Interim).
%$group ALL=(ALL:ALL) NOPASSWD: ALL
EOF

  write_file "$CONF" 0644 <<EOF
# scripts/ssh-target.sh: the SSH target LNX01 (lnx01.interim.test) on $LISTEN_IP:$PORT.
Port $PORT
ListenAddress $LISTEN_IP
HostKey $HOST_KEY
PidFile $PID_FILE
UsePAM yes
PasswordAuthentication yes
KbdInteractiveAuthentication yes
PubkeyAuthentication no
PermitRootLogin no
UseDNS no
PrintMotd no
PrintLastLog no
AllowTcpForwarding no
X11Forwarding no
# Benchmarks open dozens of sessions at once.
MaxStartups 200:30:400
MaxSessions 50
Subsystem sftp internal-sftp
EOF
  visudo -c -q -f "$ETC/sudoers.d/interim-jit" >/dev/null || die "$ETC/sudoers.d/interim-jit does not parse"
}

# Runs "$@" in a namespace like sshd's.
in_namespace() {
  unshare --mount --propagation private -- bash -c "$(namespace_setup)"$'\nexec "$@"' ssh-target-ns "$@"
}

# Does the DC's winbind answer inside the namespace (a domain user resolves)?
winbind_answers() {
  [ -S "$WINBIND_DIR/pipe" ] || return 1
  in_namespace getent passwd "$NETBIOS_DOMAIN\\Administrator" >/dev/null 2>&1
}

wait_for_winbind() {
  local deadline=$((SECONDS + START_TIMEOUT))
  until winbind_answers; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      [ -S "$WINBIND_DIR/pipe" ] || die "the DC's winbindd socket $WINBIND_DIR/pipe is missing: is the DC running with winbindd (scripts/ad-up.sh)?"
      die "the DC's winbindd does not resolve $NETBIOS_DOMAIN\\Administrator within ${START_TIMEOUT}s"
    fi
    sleep 0.3
  done
}

# ------------------------------------------------------------------ commands --
stop() {
  local pid ns p
  pid="$(running_pid)" || {
    rm -f -- "$PID_FILE"
    return 0
  }
  # The sessions it serves (and their shells) live in its mount namespace: they end with it.
  ns="$(readlink "/proc/$pid/ns/mnt" 2>/dev/null || true)"
  local pids=("$pid")
  if [ -n "$ns" ] && [ "$ns" != "$(readlink /proc/self/ns/mnt)" ]; then
    for p in /proc/[0-9]*; do
      p="${p#/proc/}"
      [ "$p" = "$pid" ] && continue
      [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null || true)" = "$ns" ] && pids+=("$p")
    done
  fi
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  kill -KILL "${pids[@]}" 2>/dev/null || true
  rm -f -- "$PID_FILE"
}

up() {
  command -v /usr/sbin/sshd >/dev/null 2>&1 || die "/usr/sbin/sshd is missing: bash scripts/system-deps.sh ssh"
  command -v sudo >/dev/null 2>&1 || die "sudo is missing: bash scripts/system-deps.sh ssh"
  mkdir -p "$TARGET_DIR"
  write_files
  local pid
  if pid="$(running_pid)"; then
    if [ "$changed" -eq 0 ]; then
      echo "ssh-target: running (pid $pid) on $LISTEN_IP:$PORT"
      return 0
    fi
    echo "ssh-target: configuration changed, restarting"
    stop
  fi

  local holder
  holder="$(listeners | head -n 1)"
  [ -z "$holder" ] ||
    die "$LISTEN_IP:$PORT is held by ${holder#* } (pid ${holder%% *}): stop it or set SSH_TARGET_PORT to another port"
  wait_for_winbind
  in_namespace /usr/sbin/sshd -t -f "$CONF" || die "sshd rejects $CONF"

  rm -f -- "$PID_FILE"
  : >>"$LOG_FILE"
  local ns_script
  ns_script="$(namespace_setup)"$'\n'"exec /usr/sbin/sshd -D -f $(printf %q "$CONF") -E $(printf %q "$LOG_FILE")"
  (
    cd /
    close_inherited_fds
    # One process from here on: setsid, nohup, unshare and bash all exec into sshd.
    exec setsid nohup unshare --mount --propagation private -- bash -c "$ns_script" >>"$LOG_FILE" 2>&1 </dev/null
  ) &
  pid=$!
  local deadline=$((SECONDS + START_TIMEOUT))
  until listeners | grep -q "^$pid "; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$LOG_FILE" >&2 || true
      die "sshd exited during startup (log: $LOG_FILE)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      kill -TERM "$pid" 2>/dev/null || true
      tail -n 20 "$LOG_FILE" >&2 || true
      die "sshd did not listen on $LISTEN_IP:$PORT within ${START_TIMEOUT}s (log: $LOG_FILE)"
    fi
    sleep 0.1
  done
  echo "$pid" >"$PID_FILE"
  echo "ssh-target: started (pid $pid) on $LISTEN_IP:$PORT, host key $(fingerprint)"
}

case "${1:-}" in
  up) up ;;
  down) stop ;;
  status)
    if pid="$(running_pid)"; then
      echo "running (pid $pid) on $LISTEN_IP:$PORT, host key $(fingerprint)"
    else
      echo "stopped"
      exit 3
    fi
    ;;
  check)
    write_files
    winbind_answers || die "the DC's winbind does not answer (socket: $WINBIND_DIR/pipe)"
    in_namespace getent passwd "$NETBIOS_DOMAIN\\Administrator"
    ;;
  fingerprint)
    [ -f "$HOST_KEY.pub" ] || die "no host key yet: scripts/ssh-target.sh up"
    fingerprint
    ;;
  *)
    echo "usage: scripts/ssh-target.sh up|down|status|check|fingerprint" >&2
    exit 2
    ;;
esac
