#!/usr/bin/env bash
# A second domain controller (DC2, 127.0.0.2) joined to the local Samba AD DC started by
# scripts/ad-up.sh, for the replication tests. DC2 never replicates on its own: it runs without
# the `drepl` (replication) and `kcc` services, and DC1 cannot resolve its DSA name, so DC1's
# change notifications never reach it. A test decides when DC2 catches up.
#
#   scripts/ad-dc2.sh up         # join DC2 (once), start it, write .data/samba/dc2/env
#   scripts/ad-dc2.sh replicate  # DC2 pulls DC1's domain partition now
#   scripts/ad-dc2.sh stop       # stop DC2, leave it in the domain (a DC that is down)
#   scripts/ad-dc2.sh down       # stop DC2 and remove it from the domain: single-DC again
#   scripts/ad-dc2.sh status     # joined? running? reachable?
#
# Every command is idempotent and safe to re-run (and to run concurrently: they take a lock).
# DC1 must be running (scripts/ad-up.sh). Needs root or sudo (127.0.0.2 on lo, /etc/hosts).
# Keep DC2 down when the replication tests are not running: everything else assumes one DC.
#
# Environment (defaults in brackets):
#   AD_ADMIN_PASSWORD   [from .data/samba/env]  the domain's Administrator (join and removal)
#   SAMBA_PROCESS_MODEL [single]                samba -M value
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd)"

# ---------------------------------------------------------------- constants --
REALM="INTERIM.TEST"
DNS_DOMAIN="interim.test"
NETBIOS_DOMAIN="INTERIM"
BASE_DN="DC=interim,DC=test"
DC1_FQDN="dc1.$DNS_DOMAIN"
DC1_IP="127.0.0.1"
HOST_NAME="dc2"
NETBIOS_NAME="DC2"
HOST_FQDN="$HOST_NAME.$DNS_DOMAIN"
HOST_IP="127.0.0.2"
LDAP_URL="ldaps://$HOST_FQDN:636"
# No drepl (it would pull from DC1 on schedule and on DC1's notifications) and no kcc (it would
# write connection objects that DC1 then replicates): DC2 serves LDAP and Kerberos, nothing more.
SERVER_SERVICES="ldap, cldap, rpc, kdc"

# Resolved: .data/samba may be a symlink, and processes are recognised by their log's real path.
DATA_DIR="$(realpath -m -- "$REPO_ROOT/.data/samba")"
DC1_DIR="$DATA_DIR/dc1"
DC1_CA="$DC1_DIR/private/tls/ca.pem"
DC1_ENV="$DATA_DIR/env"
DC_DIR="$DATA_DIR/dc2"
CONF="$DC_DIR/etc/smb.conf"
RUN_DIR="$DC_DIR/run"
PID_FILE="$DC_DIR/samba.pid"
LOG_FILE="$DC_DIR/samba.log"
JOIN_LOG="$DC_DIR/join.log"
CA_FILE="$DC_DIR/private/tls/ca.pem"
CA_BUNDLE="$DC_DIR/ca-bundle.pem"
KRB5_CONF="$DATA_DIR/dc2-krb5.conf"
ENV_FILE="$DC_DIR/env"
LOCK_FILE="$DATA_DIR/.dc2.lock"
# Written when this script added $HOST_IP to lo (and only then), so `down` removes only what it added.
LO_MARKER="$DATA_DIR/dc2-lo-address"
START_TIMEOUT="${AD_START_TIMEOUT:-60}"
STOP_TIMEOUT="${AD_STOP_TIMEOUT:-15}"
PROCESS_MODEL="${SAMBA_PROCESS_MODEL:-single}"

die() {
  echo "ad-dc2: error: $*" >&2
  exit 1
}

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
}

command_name="${1:-}"
case "$command_name" in
  up | down | stop | replicate | status) ;;
  -h | --help) usage && exit 0 ;;
  *) usage >&2 && exit 2 ;;
esac

# ------------------------------------------------------------- dependencies --
bash "$SCRIPT_DIR/system-deps.sh" samba
for tool in samba samba-tool ldapsearch setsid flock ip; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found on PATH"
done

SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)
# shellcheck source=lib/loopback.sh
. "$SCRIPT_DIR/lib/loopback.sh"

# Value of KEY in DC1's env file (empty if none).
dc1_env_value() {
  [ -f "$DC1_ENV" ] || return 0
  (
    set +eu
    # shellcheck disable=SC1090
    . "$DC1_ENV" >/dev/null 2>&1
    printf '%s' "${!1}"
  )
}

ADMIN_PASSWORD="${AD_ADMIN_PASSWORD:-$(dc1_env_value AD_ADMIN_PASSWORD)}"
ADMIN_PASSWORD="${ADMIN_PASSWORD:-Interim-Admin-2026!}"
ADMIN_UPN="Administrator@$DNS_DOMAIN"

# samba-tool as the domain's Administrator; the password travels in PASSWD (Samba's credentials
# read it from there), never on the command line. KRB5_CONFIG names both KDCs by address.
as_admin() {
  PASSWD="$ADMIN_PASSWORD" KRB5_CONFIG="$KRB5_CONF" "$@" -U "$NETBIOS_DOMAIN\\Administrator"
}

# Runs a command, keeping its output for the error message; $1 = what was attempted.
run_logged() {
  local what="$1" out
  shift
  if ! out="$("$@" 2>&1)"; then
    echo "$out" | tail -n 30 >&2
    die "$what failed"
  fi
}

# ------------------------------------------------------------------ network --
# Samba listens only on addresses an interface carries: 127.0.0.2 must be an address of lo, whatever
# a bind to it would do on this kernel. Added when missing and removed again by `down`, only then.
ensure_address() {
  local outcome
  outcome="$(lo_ensure "$HOST_IP" "$LO_MARKER")" || die "could not add $HOST_IP to the loopback interface (needs root or sudo with CAP_NET_ADMIN)"
  if [ "$outcome" = added ]; then
    echo "ad-dc2: added $HOST_IP to lo (scripts/ad-dc2.sh down removes it again)"
    # A DC2 started while the address was missing found no interface and listens nowhere; Samba
    # does not look again, so it starts anew. (One started before someone else added the address
    # fails its start below, is stopped, and the next `up` starts it listening.)
    running && stop_dc2
  fi
  return 0
}

release_address() {
  local outcome
  outcome="$(lo_release "$HOST_IP" "$LO_MARKER")" || die "could not remove $HOST_IP from the loopback interface"
  case "$outcome" in
    removed) echo "ad-dc2: removed $HOST_IP from lo (ad-dc2.sh had added it)" ;;
    kept) echo "ad-dc2: left $HOST_IP on lo (it was there before ad-dc2.sh)" ;;
  esac
  return 0
}

ensure_hosts_entry() {
  local resolved
  resolved="$(getent hosts "$HOST_FQDN" 2>/dev/null | awk '{print $1; exit}' || true)"
  if [ -z "$resolved" ]; then
    printf '%s %s %s\n' "$HOST_IP" "$HOST_FQDN" "$HOST_NAME" | "${SUDO[@]}" tee -a /etc/hosts >/dev/null ||
      die "could not add '$HOST_IP $HOST_FQDN' to /etc/hosts"
    resolved="$(getent hosts "$HOST_FQDN" 2>/dev/null | awk '{print $1; exit}' || true)"
  fi
  [ "$resolved" = "$HOST_IP" ] ||
    die "$HOST_FQDN resolves to '${resolved:-nothing}', expected $HOST_IP (fix /etc/hosts)"
}

# Kerberos for samba-tool: both KDCs by address (there is no DNS for the realm here).
write_krb5_conf() {
  local tmp
  tmp="$(mktemp "$DATA_DIR/.krb5.XXXXXX")"
  cat >"$tmp" <<EOF
# Written by scripts/ad-dc2.sh: Kerberos for samba-tool against the local DCs.
[libdefaults]
	default_realm = $REALM
	dns_lookup_realm = false
	dns_lookup_kdc = false
[realms]
	$REALM = {
		kdc = $DC1_IP
		kdc = $HOST_IP
	}
[domain_realm]
	.$DNS_DOMAIN = $REALM
	$DNS_DOMAIN = $REALM
EOF
  mv -f -- "$tmp" "$KRB5_CONF"
}

# ------------------------------------------------------------------ process --
# samba rewrites its command line: recognise DC2's processes by their stdout ($LOG_FILE, also
# once deleted, e.g. by scripts/ad-down.sh --purge while DC2 ran).
is_our_samba() {
  [ "$(cat "/proc/$1/comm" 2>/dev/null || true)" = "samba" ] || return 1
  case "$(readlink "/proc/$1/fd/1" 2>/dev/null || true)" in "$LOG_FILE" | "$LOG_FILE (deleted)") return 0 ;; esac
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "-s $CONF"
}

# Every samba process of DC2's (the root process and, with -M prefork, its children).
our_pids() {
  local pid
  for pid in $(pgrep -x samba 2>/dev/null || true); do
    is_our_samba "$pid" && echo "$pid"
  done
  return 0
}

running() { [ -n "$(our_pids)" ]; }

alive() {
  local p
  for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done
  return 1
}

stop_dc2() {
  local -a pids
  mapfile -t pids < <(our_pids)
  if [ "${#pids[@]}" -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while alive "${pids[@]}" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    if alive "${pids[@]}"; then
      echo "ad-dc2: samba did not stop within ${STOP_TIMEOUT}s, killing it" >&2
      kill -KILL "${pids[@]}" 2>/dev/null || true
      sleep 0.5
      alive "${pids[@]}" && die "could not stop DC2's samba (pids: ${pids[*]})"
    fi
  fi
  rm -f -- "$PID_FILE"
  [ -d "$RUN_DIR" ] && rm -f -- "$RUN_DIR"/*.pid
  return 0
}

# --------------------------------------------------------------------- LDAP --
# ldapsearch as Administrator over LDAPS; password through a pipe, not argv.
admin_search() {
  local url="$1" ca="$2"
  shift 2
  LDAPTLS_CACERT="$ca" LDAPTLS_REQCERT=demand \
    ldapsearch -x -H "$url" -o nettimeout="${NET_TIMEOUT:-10}" -o ldif-wrap=no -LLL \
    -D "$ADMIN_UPN" -y <(printf '%s' "$ADMIN_PASSWORD") "$@"
}

require_dc1() {
  [ -s "$DC1_CA" ] || die "DC1 is not provisioned ($DC1_CA missing): run scripts/ad-up.sh first"
  local out rc=0
  out="$(NET_TIMEOUT=5 admin_search "ldaps://$DC1_FQDN:636" "$DC1_CA" -b "" -s base "(objectClass=*)" 1.1 2>&1)" || rc=$?
  [ "$rc" -eq 49 ] && die "DC1 rejected Administrator's password (AD_ADMIN_PASSWORD)"
  [ "$rc" -eq 0 ] || {
    echo "$out" >&2
    die "DC1 ($DC1_FQDN) does not answer over LDAPS: run scripts/ad-up.sh first"
  }
}

# True when DC1's configuration partition still has DC2's server object (DC2 is in the domain).
dc1_knows_dc2() {
  local out
  out="$(admin_search "ldaps://$DC1_FQDN:636" "$DC1_CA" -b "CN=Sites,CN=Configuration,$BASE_DN" -s sub \
    "(&(objectClass=server)(cn=$NETBIOS_NAME))" 1.1 2>&1)" || {
    echo "$out" >&2
    die "reading DC1's list of domain controllers failed"
  }
  grep -q '^dn: ' <<<"$out"
}

# -------------------------------------------------------------- membership --
# Removes every trace of DC2 from the domain on DC1 (server, NTDS settings, computer account,
# RID set, connections), then has DC1's KCC drop its replication links to DC2 at once.
remove_from_domain() {
  if dc1_knows_dc2; then
    run_logged "removing DC2 from the domain" \
      as_admin samba-tool domain demote --remove-other-dead-server="$NETBIOS_NAME" -H "ldap://$DC1_FQDN"
  fi
  # Right after a demote DC1 can answer "the operation cannot be performed" (WERR from DsExecuteKCC)
  # for a moment (seen once in a fresh-clone run): a few tries before giving up.
  local out attempt
  for attempt in 1 2 3 4 5; do
    out="$(as_admin samba-tool drs kcc "$DC1_FQDN" 2>&1)" && return 0
    sleep 2
  done
  echo "$out" | tail -n 30 >&2
  die "re-running DC1's KCC failed ($attempt attempts)"
}

joined=0
join_if_needed() {
  local local_data=0
  [ -f "$CONF" ] && [ -f "$DC_DIR/private/sam.ldb" ] && local_data=1
  if dc1_knows_dc2; then
    [ "$local_data" -eq 1 ] && return 0
    # An interrupted join or a lost data directory: DC1 lists a DC2 nobody can run.
    remove_from_domain
  fi
  # Local data of a DC2 the domain no longer has (demoted, or DC1 provisioned anew): start over.
  running && stop_dc2
  rm -rf -- "$DC_DIR"
  mkdir -p "$DC_DIR"
  if ! as_admin samba-tool domain join "$DNS_DOMAIN" DC \
    --server="$DC1_IP" \
    --targetdir="$DC_DIR" \
    --dns-backend=NONE \
    --option="netbios name = $NETBIOS_NAME" \
    --option="interfaces = $HOST_IP" \
    --option="bind interfaces only = yes" \
    --option="server services = $SERVER_SERVICES" \
    --option="pid directory = $RUN_DIR" \
    --option="log file = $LOG_FILE" >"$JOIN_LOG" 2>&1; then
    tail -n 30 "$JOIN_LOG" >&2
    cp -f -- "$JOIN_LOG" "$DATA_DIR/dc2-join-failed.log" 2>/dev/null || true
    rm -rf -- "$DC_DIR"
    # samba-tool cleans up after a failed join itself; make sure nothing is left on DC1.
    remove_from_domain || true
    die "samba-tool domain join failed (log: .data/samba/dc2-join-failed.log)"
  fi
  joined=1
}

# -------------------------------------------------------------------- start --
started=0
# 0 = bind works, 1 = not reachable (yet), 2 = credentials rejected
probe_ldaps() {
  [ -s "$CA_BUNDLE" ] || return 1
  local rc=0
  NET_TIMEOUT=3 admin_search "$LDAP_URL" "$CA_BUNDLE" -b "" -s base "(objectClass=*)" 1.1 >/dev/null 2>&1 || rc=$?
  [ "$rc" -eq 0 ] && return 0
  [ "$rc" -eq 49 ] && return 2
  return 1
}

# DC1's and DC2's CAs in one PEM file: what LDAP_CA_FILE must hold for a client of both DCs.
write_ca_bundle() {
  [ -s "$CA_FILE" ] || return 1
  local tmp
  tmp="$(mktemp "$DC_DIR/.ca.XXXXXX")"
  cat -- "$DC1_CA" "$CA_FILE" >"$tmp"
  mv -f -- "$tmp" "$CA_BUNDLE"
}

start_if_needed() {
  local pid
  if running; then
    pid="$(our_pids | head -n 1)"
  else
    (exec 3<>"/dev/tcp/$HOST_IP/636") 2>/dev/null &&
      die "something else already listens on $HOST_IP:636; stop it first"
    mkdir -p "$RUN_DIR"
    rm -f -- "$PID_FILE" "$RUN_DIR"/*.pid
    : >>"$LOG_FILE"
    (
      cd /
      exec 9>&- # the script's lock must not live on in the DC
      export KRB5_CONFIG="$KRB5_CONF"
      exec setsid nohup samba -s "$CONF" -F --no-process-group --debug-stdout \
        -M "$PROCESS_MODEL" --option="server services = $SERVER_SERVICES" \
        >>"$LOG_FILE" 2>&1 </dev/null
    ) &
    pid=$!
    started=1
  fi
  echo "$pid" >"$PID_FILE"

  # Samba creates its self-signed certificate on the first start.
  local deadline=$((SECONDS + START_TIMEOUT)) rc
  while :; do
    write_ca_bundle || true
    rc=0
    probe_ldaps || rc=$?
    case "$rc" in
      0) return 0 ;;
      2) die "DC2 rejected Administrator's password" ;;
    esac
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$LOG_FILE" >&2 || true
      rm -f -- "$PID_FILE"
      die "DC2's samba exited during startup (log: $LOG_FILE)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 30 "$LOG_FILE" >&2 || true
      # Leave no DC behind that answers nothing: the next `up` starts a fresh one.
      stop_dc2
      die "LDAPS on $LDAP_URL did not accept an Administrator bind within ${START_TIMEOUT}s (log: $LOG_FILE)"
    fi
    sleep 0.3
  done
}

write_env() {
  local tmp
  tmp="$(mktemp "$DC_DIR/.env.XXXXXX")"
  {
    echo "# Written by scripts/ad-dc2.sh: the second local DC. Do not edit."
    echo "DC2_LDAP_URL=$LDAP_URL"
    echo "DC2_HOST_NAME=$HOST_FQDN"
    echo "DC2_CA_BUNDLE=$CA_BUNDLE"
  } >"$tmp"
  mv -f -- "$tmp" "$ENV_FILE"
}

# --------------------------------------------------------------- commands --
cmd_up() {
  require_dc1
  ensure_address
  ensure_hosts_entry
  write_krb5_conf
  join_if_needed
  start_if_needed
  write_env
  local state="running"
  [ "$joined" -eq 1 ] && state="joined and started"
  [ "$joined" -eq 0 ] && [ "$started" -eq 1 ] && state="started"
  echo "ad-dc2: DC2 $state at $LDAP_URL (pid $(cat "$PID_FILE")); env: ${ENV_FILE#"$REPO_ROOT"/}"
}

cmd_replicate() {
  [ -f "$CONF" ] || die "DC2 is not joined: run scripts/ad-dc2.sh up first"
  [ -f "$KRB5_CONF" ] || write_krb5_conf
  # --local: samba-tool writes into DC2's database itself (DC2 has no replication service to
  # ask). DC2's machine account (-P) authenticates to DC1.
  run_logged "replicating $BASE_DN from DC1 to DC2" \
    env KRB5_CONFIG="$KRB5_CONF" samba-tool drs replicate "$HOST_NAME" "$DC1_FQDN" "$BASE_DN" --local -s "$CONF" -P
  echo "ad-dc2: DC2 replicated $BASE_DN from DC1"
}

cmd_stop() {
  stop_dc2
  echo "ad-dc2: DC2 stopped (still a DC of the domain: scripts/ad-dc2.sh up starts it, down removes it)"
}

cmd_down() {
  stop_dc2
  # Before DC1 is asked anything: a DC1 that is down must not keep the address on lo.
  release_address
  if [ -s "$DC1_CA" ]; then
    require_dc1
    [ -f "$KRB5_CONF" ] || write_krb5_conf
    remove_from_domain
  fi
  rm -rf -- "$DC_DIR"
  echo "ad-dc2: DC2 stopped and removed from the domain"
}

cmd_status() {
  local member="unknown (DC1 unreachable)" proc="stopped" reach="no"
  if [ -s "$DC1_CA" ] && NET_TIMEOUT=5 admin_search "ldaps://$DC1_FQDN:636" "$DC1_CA" -b "" -s base "(objectClass=*)" 1.1 >/dev/null 2>&1; then
    member="no"
    dc1_knows_dc2 && member="yes"
  fi
  running && proc="running (pid $(our_pids | head -n 1))"
  probe_ldaps && reach="yes"
  local address="no"
  if lo_has "$HOST_IP"; then
    address="yes"
    lo_marked "$HOST_IP" "$LO_MARKER" && address="yes (added by ad-dc2.sh)"
  fi
  echo "DC2 in the domain: $member; process: $proc; LDAPS at $LDAP_URL: $reach; $HOST_IP on lo: $address"
}

mkdir -p "$DATA_DIR"
exec 9>"$LOCK_FILE"
flock 9
start_time=$SECONDS
"cmd_$command_name"
[ "$command_name" = status ] || echo "ad-dc2: $command_name took $((SECONDS - start_time))s"
