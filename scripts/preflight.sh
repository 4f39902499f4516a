#!/usr/bin/env bash
# What `npm test`, `npm run dev` and `npm run bench` rely on from this machine, checked by asking
# for it (the interface's addresses, the listening sockets, the resolver) and never inferred from
# a side effect such as whether a bind works. Fixes what is safe to fix and says so in one line;
# otherwise says in one line what the person must do, and exits 1.
#
#   scripts/preflight.sh test|dev|bench
#
# Checked: Node.js 20.19-22; root, or sudo plus the right to bind the DC's ports below 1024;
# `ip` and `ss` (iproute2, installed when missing); lo up and carrying 127.0.0.1 (fixed when not);
# for `test`, that 127.0.0.2 is on lo or can be added (scripts/ad-dc2.sh adds it for the
# replication step and removes it after); the ports of the local DC(s), Postgres, the web server
# and the mail sink: free, or held by Interim's own DC or Postgres of this checkout; the SSH
# target's port (scripts/ssh-target.sh): free or held by its own sshd; /etc/hosts names of the
# local DCs (added when missing).
#
# Environment: LDAP_URL (dev: a real directory, so no local DC), DATABASE_URL (no embedded
# Postgres), PORT [3000], MAIL_SINK_PORT [2525] unless SMTP_URL, E2E_PORT [3100],
# INTERIM_PG_PORT [54329 dev, 54330 test, 54331 bench], SSH_TARGET_PORT [2222].
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd)"

mode="${1:-}"
case "$mode" in
  test | dev | bench) ;;
  *)
    echo "usage: scripts/preflight.sh test|dev|bench" >&2
    exit 2
    ;;
esac

DATA_DIR="$(realpath -m -- "$REPO_ROOT/.data")"
SAMBA_DIR="$(realpath -m -- "$REPO_ROOT/.data/samba")"
# The SSH target goes with the DC (scripts/ssh-target.sh): recognised by its config file.
SSH_TARGET_CONF="$(dirname -- "$SAMBA_DIR")/ssh-target/etc/sshd_config"
DC1_IP="127.0.0.1"
DC2_IP="127.0.0.2"
# What Samba serves here (server services = ldap, cldap, rpc, kdc): LDAP, LDAPS, the global
# catalog, RPC's endpoint mapper, Kerberos and kpasswd. RPC's dynamic ports Samba picks itself.
DC_TCP_PORTS=(88 135 389 464 636 3268 3269)
DC_UDP_PORTS=(88 389 464)

fixed=()    # what this run changed
problems=() # what the person must do
notes=()    # what holds, briefly

local_ad=1
[ "$mode" = dev ] && [ -n "${LDAP_URL:-}" ] && local_ad=0
need_dc2=0
[ "$mode" = test ] && need_dc2=1

finish() {
  local line="preflight ($mode):"
  if [ "${#problems[@]}" -gt 0 ]; then
    line+=" cannot start: $(join_by '; ' "${problems[@]}")"
    [ "${#fixed[@]}" -gt 0 ] && line+=" (fixed meanwhile: $(join_by ', ' "${fixed[@]}"))"
    echo "$line" >&2
    exit 1
  fi
  line+=" ready"
  if [ "${#fixed[@]}" -gt 0 ]; then line+="; fixed: $(join_by ', ' "${fixed[@]}")"; else line+="; nothing to fix"; fi
  line+="; $(join_by ', ' "${notes[@]}")"
  echo "$line"
  exit 0
}

join_by() {
  local sep="$1" out="" item
  shift
  for item in "$@"; do out+="${out:+$sep}$item"; done
  printf '%s' "$out"
}

# --------------------------------------------------------------------- node --
node_version="$(node -p 'process.versions.node' 2>/dev/null || true)"
if [ -z "$node_version" ]; then
  problems+=("Node.js is not on PATH: install Node.js 20.19 or newer (up to 22)")
else
  IFS=. read -r n_major n_minor _ <<<"$node_version"
  if [ "$n_major" -lt 20 ] || { [ "$n_major" -eq 20 ] && [ "$n_minor" -lt 19 ]; } || [ "$n_major" -gt 22 ]; then
    problems+=("Node.js $node_version is outside what Interim runs on: use Node.js 20.19 to 22")
  else
    notes+=("node $node_version")
  fi
fi

# --------------------------------------------------------------- privileges --
SUDO=()
can_sudo=0
if [ "$(id -u)" -eq 0 ]; then
  can_sudo=1
  notes+=("root")
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo)
  can_sudo=1
  notes+=("sudo")
fi

# Bit N of this process's effective capabilities.
has_cap() {
  local caps
  caps="$(awk '/^CapEff:/ { print $2 }' /proc/self/status 2>/dev/null)"
  [ -n "$caps" ] && (((16#$caps >> $1) & 1))
}

if [ "$local_ad" -eq 1 ] && [ "$(id -u)" -ne 0 ]; then
  # Samba binds 88-636 itself; as another user that takes CAP_NET_BIND_SERVICE (bit 10) or a
  # lowered net.ipv4.ip_unprivileged_port_start.
  unprivileged_start="$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)"
  if ! has_cap 10 && [ "$unprivileged_start" -gt 88 ]; then
    command_line="npm $mode"
    [ "$mode" = test ] || command_line="npm run $mode"
    problems+=("the local Samba DC listens on ports 88-636, which this user may not bind: run as root (sudo -E $command_line)")
  fi
  [ "$can_sudo" -eq 1 ] || problems+=("not root and no passwordless sudo: packages, /etc/hosts and lo's addresses need root")
fi

# ------------------------------------------------------------------ iproute2 --
if ! command -v ip >/dev/null 2>&1 || ! command -v ss >/dev/null 2>&1; then
  if [ "$can_sudo" -eq 1 ] && bash "$SCRIPT_DIR/system-deps.sh" iproute2 >/dev/null 2>&1 &&
    command -v ip >/dev/null 2>&1 && command -v ss >/dev/null 2>&1; then
    fixed+=("installed iproute2 (ip, ss)")
  else
    problems+=("'ip' and 'ss' are missing: install Debian's iproute2 (apt-get install iproute2)")
    finish
  fi
fi

# shellcheck source=lib/loopback.sh
. "$SCRIPT_DIR/lib/loopback.sh"

# ------------------------------------------------------------------ loopback --
# Every local service here (DCs, Postgres, web, mail sink) listens on loopback.
lo_fixes=()
if ! lo_is_up || ! lo_has "$DC1_IP"; then
  if can_admin_network; then
    lo_is_up || { "${SUDO[@]}" ip link set dev lo up && lo_fixes+=("brought lo up"); }
    # Bringing lo up gives it 127.0.0.1/8 on Linux; add it only when still missing.
    lo_has "$DC1_IP" || { "${SUDO[@]}" ip addr add "$DC1_IP/8" dev lo && lo_fixes+=("added $DC1_IP to lo"); }
  fi
fi
if lo_is_up && lo_has "$DC1_IP"; then
  fixed+=("${lo_fixes[@]}")
  notes+=("lo up with $DC1_IP")
else
  problems+=("lo must be up and carry $DC1_IP, and this shell may not change it (no CAP_NET_ADMIN): run 'ip link set lo up; ip addr add 127.0.0.1/8 dev lo' as an administrator")
fi

if [ "$need_dc2" -eq 1 ]; then
  # npm test takes 127.0.0.2 off lo and puts it on again (the replication step runs once each
  # way), whoever added it: that needs CAP_NET_ADMIN either way.
  if ! can_admin_network; then
    problems+=("the replication tests add and remove $DC2_IP on lo and this shell may not (no CAP_NET_ADMIN): run npm test as root with CAP_NET_ADMIN")
  elif lo_has "$DC2_IP"; then
    notes+=("$DC2_IP on lo (npm test takes it off for one replication pass and puts it back)")
  else
    notes+=("$DC2_IP not on lo (scripts/ad-dc2.sh adds it for the replication step and removes it after)")
  fi
  # tests/system and the build's no-egress check run in namespaces of their own (unshare).
  if [ "$(id -u)" -eq 0 ] && ! has_cap 21; then
    problems+=("the system tests and the no-egress build need unshare (CAP_SYS_ADMIN), which this shell lacks: run npm test with CAP_SYS_ADMIN (e.g. a privileged container)")
  fi
fi

# --------------------------------------------------------------------- ports --
# "pid comm" of the processes behind the listening sockets of PROTO (tcp|udp) on PORT whose local
# address covers ADDR (the address itself, or a wildcard), one per line; "? -" when the socket's
# owner is not visible to this user.
holders() {
  local proto="$1" addr="$2" port="$3" flag=t
  [ "$proto" = udp ] && flag=u
  ss -Hln${flag}p "sport = :$port" 2>/dev/null | while read -r _state _recv _send local _peer rest; do
    case "$local" in
      # `*` is a dual-stack wildcard; `[::]` alone is IPv6-only and leaves the IPv4 port free.
      "$addr:$port" | "0.0.0.0:$port" | "*:$port" | "[::ffff:$addr]:$port") ;;
      *) continue ;;
    esac
    if [[ "$rest" =~ pid=([0-9]+) ]]; then
      local pid="${BASH_REMATCH[1]}"
      echo "$pid $(cat "/proc/$pid/comm" 2>/dev/null || echo '?')"
    else
      echo "? -"
    fi
  done
}

# Which of Interim's own services a process is: dc1, dc2, pg:<cluster dir>; "elsewhere:<checkout>"
# for one of another checkout's; nothing for anything else.
whose() {
  local pid="$1" out
  [ "$pid" = "?" ] && return 0
  case "$(cat "/proc/$pid/comm" 2>/dev/null || true)" in
    samba)
      out="$(readlink "/proc/$pid/fd/1" 2>/dev/null || true)"
      case "$out" in
        "$SAMBA_DIR/dc1/samba.log"*) echo dc1 ;;
        "$SAMBA_DIR/dc2/samba.log"*) echo dc2 ;;
        */.data/samba/dc[12]/samba.log*) echo "elsewhere:${out%%/.data/samba/*}" ;;
      esac
      ;;
    sshd)
      out="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
      case "$out" in
        *" -f $SSH_TARGET_CONF "*) echo ssh-target ;;
        *" -f "*/.data/ssh-target/etc/sshd_config" "*) out="${out#* -f }"; echo "elsewhere:${out%%/.data/ssh-target/*}" ;;
      esac
      ;;
    postgres)
      out="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n '/^-D$/{n;p;q}')" # its -D (data directory)
      case "$out" in
        "$DATA_DIR"/pg*) echo "pg:${out#"$DATA_DIR/"}" ;;
        */.data/pg*) echo "elsewhere:${out%%/.data/pg*}" ;;
      esac
      ;;
  esac
  return 0
}

ports_free=0
ports_ours=0
# check_port PROTO ADDR PORT WHAT ACCEPT — ACCEPT: which of our services may hold it (or "").
check_port() {
  local proto="$1" addr="$2" port="$3" what="$4" accept="$5" pid comm owner any=0
  while read -r pid comm; do
    [ -n "$pid" ] || continue
    any=1
    owner="$(whose "$pid")"
    if [ -n "$accept" ] && [ "$owner" = "$accept" ]; then
      continue
    fi
    if [ "$pid" = "?" ]; then
      problems+=("$addr:$port/$proto ($what) is held by a process this user cannot see: free it")
    elif [[ "$owner" == elsewhere:* ]]; then
      problems+=("$addr:$port/$proto ($what) is held by $comm of the Interim checkout in ${owner#elsewhere:} (pid $pid): stop it there (scripts/ad-down.sh; Postgres stops with the command that started it)")
    elif [ -n "$owner" ]; then
      problems+=("$addr:$port/$proto ($what) is held by Interim's own $owner (pid $pid) where it does not belong: stop it")
    else
      local hint=""
      [ "$(readlink "/proc/$pid/cwd" 2>/dev/null || true)" = "$REPO_ROOT" ] && hint=", started from this checkout"
      problems+=("$addr:$port/$proto ($what) is held by $comm (pid $pid$hint): stop it")
    fi
    return 0
  done < <(holders "$proto" "$addr" "$port")
  if [ "$any" -eq 1 ]; then ports_ours=$((ports_ours + 1)); else ports_free=$((ports_free + 1)); fi
}

if [ "$local_ad" -eq 1 ]; then
  for p in "${DC_TCP_PORTS[@]}"; do check_port tcp "$DC1_IP" "$p" "local DC" dc1; done
  for p in "${DC_UDP_PORTS[@]}"; do check_port udp "$DC1_IP" "$p" "local DC" dc1; done
  check_port tcp "$DC1_IP" "${SSH_TARGET_PORT:-2222}" "SSH target; set SSH_TARGET_PORT to move it" ssh-target
fi
if [ "$need_dc2" -eq 1 ]; then
  for p in "${DC_TCP_PORTS[@]}"; do check_port tcp "$DC2_IP" "$p" "second DC" dc2; done
  for p in "${DC_UDP_PORTS[@]}"; do check_port udp "$DC2_IP" "$p" "second DC" dc2; done
fi
if [ -z "${DATABASE_URL:-}" ]; then
  case "$mode" in
    dev) cluster=pg pg_port=54329 ;;
    test) cluster=pg-test pg_port=54330 ;;
    bench) cluster=pg-bench pg_port=54331 ;;
  esac
  pg_port="${INTERIM_PG_PORT:-$pg_port}"
  check_port tcp 127.0.0.1 "$pg_port" "embedded Postgres" "pg:$cluster"
fi
case "$mode" in
  dev)
    check_port tcp 127.0.0.1 "${PORT:-3000}" "web server; set PORT to move it" ""
    [ -n "${SMTP_URL:-}" ] || check_port tcp 127.0.0.1 "${MAIL_SINK_PORT:-2525}" "mail sink; set MAIL_SINK_PORT to move it" ""
    ;;
  test) check_port tcp 127.0.0.1 "${E2E_PORT:-3100}" "e2e web server; set E2E_PORT to move it" "" ;;
esac
notes+=("$ports_free ports free")
[ "$ports_ours" -gt 0 ] && notes+=("$ports_ours held by Interim's own DC/Postgres/SSH target")

# ---------------------------------------------------------------- /etc/hosts --
# The DCs' certificates name dc1/dc2.interim.test, and there is no DNS for the realm here.
ensure_host() {
  local name="$1" ip="$2" short="${1%%.*}" resolved
  resolved="$(getent hosts "$name" 2>/dev/null | awk '{ print $1; exit }' || true)"
  if [ -z "$resolved" ]; then
    if [ "$can_sudo" -eq 1 ] && "${SUDO[@]}" test -w /etc/hosts &&
      printf '%s %s %s\n' "$ip" "$name" "$short" | "${SUDO[@]}" tee -a /etc/hosts >/dev/null; then
      resolved="$(getent hosts "$name" 2>/dev/null | awk '{ print $1; exit }' || true)"
      [ "$resolved" = "$ip" ] && fixed+=("added $name to /etc/hosts")
    fi
  fi
  if [ -z "$resolved" ]; then
    problems+=("$name does not resolve and /etc/hosts cannot be changed here: add the line '$ip $name $short' to /etc/hosts")
  elif [ "$resolved" != "$ip" ]; then
    problems+=("$name resolves to $resolved, not $ip: make /etc/hosts map it to $ip")
  fi
}

if [ "$local_ad" -eq 1 ]; then
  ensure_host dc1.interim.test "$DC1_IP"
  [ "$need_dc2" -eq 1 ] && ensure_host dc2.interim.test "$DC2_IP"
  if [ "$need_dc2" -eq 1 ]; then notes+=("/etc/hosts names both local DCs"); else notes+=("/etc/hosts names the local DC"); fi
fi

finish
