#!/usr/bin/env bash
# Brings up a local Samba AD DC (realm INTERIM.TEST) on loopback and seeds it
# with the demo directory Interim's development and tests rely on, then the SSH
# target LNX01 whose logins are the domain's accounts (scripts/ssh-target.sh).
# Reuses a DC that is already running; safe and fast to re-run.
#
#   scripts/ad-up.sh        # provision (once), start (if needed), seed, start the SSH target, write .data/samba/env
#   scripts/ad-down.sh      # stop them (--purge also deletes .data/samba)
#
# Environment (defaults in brackets):
#   AD_ADMIN_PASSWORD   [Interim-Admin-2026!]  Administrator, fixed at provisioning
#   DEMO_PASSWORD       [Interim-Demo-2026!]   demo users and privileged accounts
#   LDAP_BIND_PASSWORD  [Interim-Svc-2026!]    svc-interim (the app's bind account)
#   SAMBA_PROCESS_MODEL [single]               samba -M value
#   SSH_TARGET_PORT     [2222]                 the SSH target's port on 127.0.0.1
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd)"

# ---------------------------------------------------------------- constants --
REALM="INTERIM.TEST"
DNS_DOMAIN="interim.test"
NETBIOS_DOMAIN="INTERIM"
HOST_NAME="dc1"
HOST_FQDN="$HOST_NAME.$DNS_DOMAIN"
HOST_IP="127.0.0.1"
BASE_DN="DC=interim,DC=test"
LDAP_URL="ldaps://$HOST_FQDN:636"
# winbindd: the SSH target's NSS and PAM ask the DC's own winbind (scripts/ssh-target.sh).
SERVER_SERVICES="ldap, cldap, rpc, kdc, drepl, kcc, winbindd"
SSH_TARGET_NAME="lnx01"
SSH_TARGET_FQDN="$SSH_TARGET_NAME.$DNS_DOMAIN"
SSH_TARGET_PORT="${SSH_TARGET_PORT:-2222}"
export SSH_TARGET_PORT

ADMIN_PASSWORD="${AD_ADMIN_PASSWORD:-Interim-Admin-2026!}"
DEMO_PW="${DEMO_PASSWORD:-Interim-Demo-2026!}"
SVC_PW="${LDAP_BIND_PASSWORD:-Interim-Svc-2026!}"
PROCESS_MODEL="${SAMBA_PROCESS_MODEL:-single}"
ADMIN_UPN="Administrator@$DNS_DOMAIN"
SVC_UPN="svc-interim@$DNS_DOMAIN"

# The physical path: a worktree may link .data/samba to a shared DC, and a running samba is
# recognised by the (resolved) path of its log file.
DATA_DIR="$(realpath -m -- "$REPO_ROOT/.data/samba")"
DC_DIR="$DATA_DIR/dc1"
CONF="$DC_DIR/etc/smb.conf"
RUN_DIR="$DC_DIR/run"
PID_FILE="$DC_DIR/samba.pid"
LOG_FILE="$DC_DIR/samba.log"
CA_FILE="$DC_DIR/private/tls/ca.pem"
ENV_FILE="$DATA_DIR/env"
START_TIMEOUT="${AD_START_TIMEOUT:-60}"
# The SSH target's files sit next to the DC's data (scripts/ssh-target.sh); the DC names its homes.
SSH_TARGET_DIR="$(dirname -- "$DATA_DIR")/ssh-target"
WINBIND_DIR="$RUN_DIR/winbindd"

OU_ROOT="OU=Interim,$BASE_DN"
OU_PEOPLE="OU=People,$OU_ROOT"
OU_PRIVILEGES="OU=Privileges,$OU_ROOT"
OU_PRIV_ACCOUNTS="OU=Privileged Accounts,$OU_ROOT"
OU_SERVICE="OU=Service Accounts,$OU_ROOT"
OU_TEMP="OU=Temporary Groups,$OU_ROOT"
OU_SERVERS="OU=Servers,$OU_ROOT"
SVC_DN="CN=svc-interim,$OU_SERVICE"
ADMINS_GROUP_DN="CN=Interim Admins,$OU_ROOT"
ITSEC_GROUP_DN="CN=IT Security,$OU_ROOT"
DOMAIN_ADMINS_DN="CN=Domain Admins,CN=Users,$BASE_DN"

# Domain password/lockout policy (AD intervals are negative 100 ns units).
MAX_PWD_AGE_NEVER="-9223372036854775808"
LOCKOUT_THRESHOLD="5"
LOCKOUT_30_MIN="-18000000000"

die() {
  echo "ad-up: error: $*" >&2
  exit 1
}

# ------------------------------------------------------------- dependencies --
bash "$SCRIPT_DIR/system-deps.sh" samba ssh
for tool in samba samba-tool ldapsearch ldapmodify ldapadd iconv base64 od setsid unshare ssh-keygen; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found on PATH"
done

SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)

# ---------------------------------------------------------------- /etc/hosts --
ensure_hosts_entry() { # fqdn short-name
  local fqdn="$1" short="$2" resolved
  resolved="$(getent hosts "$fqdn" 2>/dev/null | awk '{print $1; exit}' || true)"
  if [ -z "$resolved" ]; then
    printf '%s %s %s\n' "$HOST_IP" "$fqdn" "$short" | "${SUDO[@]}" tee -a /etc/hosts >/dev/null ||
      die "could not add '$HOST_IP $fqdn' to /etc/hosts"
    resolved="$(getent hosts "$fqdn" 2>/dev/null | awk '{print $1; exit}' || true)"
  fi
  [ "$resolved" = "$HOST_IP" ] ||
    die "$fqdn resolves to '${resolved:-nothing}', expected $HOST_IP (fix /etc/hosts)"
}

# ------------------------------------------------------------------ process --
# A samba process of ours: samba rewrites its command line ("samba: root
# process"), so recognise it by its stdout, which ad-up.sh sends to $LOG_FILE.
is_our_samba() {
  [ "$(cat "/proc/$1/comm" 2>/dev/null || true)" = "samba" ] || return 1
  # Resolved: in a git worktree .data/samba is a symlink to the shared DC's directory.
  [ "$(readlink "/proc/$1/fd/1" 2>/dev/null || true)" = "$(readlink -m "$LOG_FILE")" ] && return 0
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "-s $CONF"
}

# Prints the pid of the samba root process serving $CONF, if one runs.
running_pid() {
  local pid ppid
  if [ -s "$PID_FILE" ]; then
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && is_our_samba "$pid"; then
      echo "$pid"
      return 0
    fi
  fi
  # The pid file may be gone or stale: look for a samba of ours whose parent
  # is not a samba (the root process).
  for pid in $(pgrep -x samba 2>/dev/null || true); do
    is_our_samba "$pid" || continue
    ppid="$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null || echo 0)"
    if [ "$(cat "/proc/$ppid/comm" 2>/dev/null || true)" != "samba" ]; then
      echo "$pid"
      return 0
    fi
  done
  return 1
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

port_in_use() {
  (exec 3<>"/dev/tcp/$HOST_IP/$1") 2>/dev/null
}

# ---------------------------------------------------------------- LDAP utils --
# Runs an ldap* tool over LDAPS with a simple bind; password via a pipe, not argv.
ldap_as() {
  local tool="$1" who="$2" pw="$3"
  shift 3
  LDAPTLS_CACERT="$CA_FILE" LDAPTLS_REQCERT=demand \
    "$tool" -x -H "$LDAP_URL" -o nettimeout="${NET_TIMEOUT:-10}" -D "$who" -y <(printf '%s' "$pw") "$@"
}
admin_ldap() { ldap_as "$1" "$ADMIN_UPN" "$ADMIN_PASSWORD" "${@:2}"; }

# Fails with a readable message; $1 = what was attempted, rest = command.
run_ldap() {
  local what="$1" out
  shift
  if ! out="$("$@" 2>&1)"; then
    echo "$out" >&2
    die "$what failed"
  fi
}

# unicodePwd value: the quoted password in UTF-16LE, base64.
unicode_pwd() {
  printf '"%s"' "$1" | iconv -f UTF-8 -t UTF-16LE | base64 -w0
}

# objectSid (base64 of the binary SID) -> S-1-5-21-... string.
sid_to_string() {
  local -a b
  read -r -a b <<<"$(printf '%s' "$1" | base64 -d | od -An -v -tu1 | tr -s ' \n' '  ')"
  local rev="${b[0]}" count="${b[1]}" auth=0 i sid
  for i in 2 3 4 5 6 7; do auth=$((auth * 256 + b[i])); done
  sid="S-$rev-$auth"
  for ((i = 0; i < count; i++)); do
    local o=$((8 + 4 * i))
    sid+="-$((b[o] + b[o + 1] * 256 + b[o + 2] * 65536 + b[o + 3] * 16777216))"
  done
  echo "$sid"
}

env_quote() {
  local v="$1"
  if [[ "$v" =~ ^[A-Za-z0-9_./:@,+=!%-]*$ ]]; then
    printf '%s' "$v"
  else
    [[ "$v" != *"'"* ]] || die "value contains a single quote, cannot write it to $ENV_FILE: $v"
    printf "'%s'" "$v"
  fi
}

# Value of KEY in the previous env file (empty if none).
old_env_value() {
  [ -f "$ENV_FILE" ] || return 0
  (
    set +eu
    # shellcheck disable=SC1090
    . "$ENV_FILE" >/dev/null 2>&1
    printf '%s' "${!1}"
  )
}

# ---------------------------------------------------------------- provision --
provisioned=0
provision_if_needed() {
  if [ -f "$CONF" ] && [ -f "$DC_DIR/private/sam.ldb" ]; then
    return 0
  fi
  if [ -e "$DC_DIR" ]; then
    running_pid >/dev/null && die "a samba process uses $DC_DIR but it is not provisioned; run scripts/ad-down.sh --purge"
    rm -rf -- "$DC_DIR" # leftovers of an interrupted provisioning
  fi
  mkdir -p "$DC_DIR"
  local out
  if ! out="$(samba-tool domain provision \
    --realm="$REALM" --domain="$NETBIOS_DOMAIN" --server-role=dc \
    --dns-backend=NONE \
    --adminpass="$ADMIN_PASSWORD" \
    --host-name="$HOST_NAME" --host-ip="$HOST_IP" \
    --targetdir="$DC_DIR" \
    --option="interfaces = $HOST_IP" \
    --option="bind interfaces only = yes" \
    --option="server services = $SERVER_SERVICES" \
    --option="pid directory = $RUN_DIR" \
    --option="log file = $LOG_FILE" 2>&1)"; then
    echo "$out" | tail -n 30 >&2
    rm -rf -- "$DC_DIR"
    die "samba-tool domain provision failed (is AD_ADMIN_PASSWORD complex enough?)"
  fi
  provisioned=1
}

# The SSH target needs the DC's winbind (DC mode) with a login shell and homes, and its socket
# in the DC's own directory (the target's namespace mounts it at /run/samba/winbindd; the
# machine's own NSS never sees it). Set at the end of [global]; the rest of the file is left as is.
dc_config_changed=0
ensure_dc_config() {
  local want
  want="$(awk -v services="$SERVER_SERVICES" -v home="$SSH_TARGET_DIR/home/%U" -v sock="$WINBIND_DIR" '
    function key(line, k) { k = line; sub(/=.*/, "", k); gsub(/[ \t]/, "", k); return tolower(k) }
    function ours() {
      printf "\tserver services = %s\n\ttemplate shell = /bin/bash\n\ttemplate homedir = %s\n\twinbindd socket directory = %s\n", services, home, sock
      added = 1
    }
    /^[ \t]*\[/ {
      if (global && !added) { ours(); printf "%s", blanks; blanks = "" }
      global = tolower($0) ~ /^[ \t]*\[global\][ \t]*$/
      print; next
    }
    global && /^[ \t]*$/ { blanks = blanks $0 "\n"; next }
    global && key($0) ~ /^(serverservices|templateshell|templatehomedir|winbinddsocketdirectory)$/ { next }
    { printf "%s", blanks; blanks = ""; print }
    END { if (global && !added) ours(); printf "%s", blanks }
  ' "$CONF")"
  [ "$want" = "$(cat "$CONF")" ] && return 0
  printf '%s\n' "$want" >"$CONF.new" && mv -f -- "$CONF.new" "$CONF"
  dc_config_changed=1
}

# A DC that runs without this configuration (or whose winbindd is not listening) is restarted.
restarted=0
restart_if_needed() {
  running_pid >/dev/null || return 0
  if [ "$dc_config_changed" -eq 0 ] && ss -Hxl 2>/dev/null | grep -qF " $WINBIND_DIR/pipe "; then
    return 0
  fi
  echo "ad-up: restarting the DC (its configuration changed, or winbindd is not listening)"
  bash "$SCRIPT_DIR/ad-down.sh" >/dev/null
  restarted=1
}

# -------------------------------------------------------------------- start --
started=0
# 0 = bind works, 1 = not reachable (yet), 2 = credentials rejected
probe_ldaps() {
  [ -s "$CA_FILE" ] || return 1
  local out rc=0
  out="$(NET_TIMEOUT=3 admin_ldap ldapsearch -LLL -b "" -s base "(objectClass=*)" 1.1 2>&1)" || rc=$?
  [ "$rc" -eq 0 ] && return 0
  [ "$rc" -eq 49 ] && return 2
  return 1
}

start_if_needed() {
  local pid
  if pid="$(running_pid)"; then
    echo "$pid" >"$PID_FILE"
  else
    port_in_use 636 && die "something else already listens on $HOST_IP:636 (another Samba/LDAP server?); stop it first"
    mkdir -p "$RUN_DIR"
    rm -f -- "$PID_FILE" "$RUN_DIR"/*.pid # stale pid files of a killed DC
    : >>"$LOG_FILE"
    (
      cd /
      close_inherited_fds
      # -F: stay in the foreground of our detached session (-i would exit on stdin EOF).
      exec setsid nohup samba -s "$CONF" -F --no-process-group --debug-stdout \
        -M "$PROCESS_MODEL" --option="server services = $SERVER_SERVICES" \
        >>"$LOG_FILE" 2>&1 </dev/null
    ) &
    pid=$!
    echo "$pid" >"$PID_FILE"
    started=1
  fi

  local deadline=$((SECONDS + START_TIMEOUT)) rc
  while :; do
    rc=0
    probe_ldaps || rc=$?
    case "$rc" in
      0) return 0 ;;
      2) die "the DC rejected Administrator's password: AD_ADMIN_PASSWORD differs from the one the DC in $DC_DIR was provisioned with (scripts/ad-down.sh --purge to start over)" ;;
    esac
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$LOG_FILE" >&2 || true
      rm -f -- "$PID_FILE"
      die "samba exited during startup (log: $LOG_FILE)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 30 "$LOG_FILE" >&2 || true
      # A DC this run started and that answers nothing is stopped; one that ran before is left.
      if [ "$started" -eq 1 ]; then kill -TERM "$pid" 2>/dev/null || true; rm -f -- "$PID_FILE"; fi
      die "LDAPS on $LDAP_URL did not accept an Administrator bind within ${START_TIMEOUT}s (log: $LOG_FILE)"
    fi
    sleep 0.3
  done
}

# --------------------------------------------------------------------- seed --
declare -A EXISTS=()  # lower-cased DN -> 1
declare -A MEMBER=()  # lower-cased "group|member" -> 1
declare -A CREATED=() # lower-cased DN -> 1 (this run)

load_existing() {
  EXISTS=()
  MEMBER=()
  local out rc=0 line dn="" val
  out="$(admin_ldap ldapsearch -LLL -o ldif-wrap=no -b "$OU_ROOT" -s sub "(objectClass=*)" member 2>&1)" || rc=$?
  if [ "$rc" -eq 32 ]; then return 0; fi # OU=Interim does not exist yet
  [ "$rc" -eq 0 ] || {
    echo "$out" >&2
    die "reading $OU_ROOT failed"
  }
  while IFS= read -r line; do
    case "$line" in
      "dn:: "*) dn="$(printf '%s' "${line#dn:: }" | base64 -d)"; EXISTS["${dn,,}"]=1 ;;
      "dn: "*) dn="${line#dn: }"; EXISTS["${dn,,}"]=1 ;;
      "member:: "*) val="$(printf '%s' "${line#member:: }" | base64 -d)"; MEMBER["${dn,,}|${val,,}"]=1 ;;
      "member: "*) val="${line#member: }"; MEMBER["${dn,,}|${val,,}"]=1 ;;
    esac
  done <<<"$out"
}

has() { [ -n "${EXISTS[${1,,}]-}" ]; }

LDIF=""
add_entry() { # dn, then "attr: value" lines
  local dn="$1"
  shift
  has "$dn" && return 0
  LDIF+="dn: $dn"$'\n'
  local l
  for l in "$@"; do LDIF+="$l"$'\n'; done
  LDIF+=$'\n'
  CREATED["${dn,,}"]=1
}

add_ou() {
  add_entry "OU=$1,$2" "objectClass: organizationalUnit" "ou: $1" ${3:+"description: $3"}
}

add_user() { # ou sam given sn display description pw uac
  local ou="$1" sam="$2" given="$3" sn="$4" display="$5" desc="$6" pw="$7" uac="${8:-512}"
  local -a attrs=(
    "objectClass: user"
    "sAMAccountName: $sam"
    "userPrincipalName: $sam@$DNS_DOMAIN"
    "mail: $sam@$DNS_DOMAIN"
  )
  [ -n "$given" ] && attrs+=("givenName: $given")
  [ -n "$sn" ] && attrs+=("sn: $sn")
  [ -n "$display" ] && attrs+=("displayName: $display")
  [ -n "$desc" ] && attrs+=("description: $desc")
  attrs+=("unicodePwd:: $(unicode_pwd "$pw")" "userAccountControl: $uac")
  add_entry "CN=$sam,$ou" "${attrs[@]}"
}

add_group() { # ou name description
  add_entry "CN=$2,$1" "objectClass: group" "sAMAccountName: $2" \
    "groupType: -2147483646" "description: $3"
}

add_computer() { # ou name os description
  local name="$2" lower="${2,,}"
  add_entry "CN=$name,$1" "objectClass: computer" "sAMAccountName: $name\$" \
    "userAccountControl: 4096" "dNSHostName: $lower.$DNS_DOMAIN" \
    "operatingSystem: $3" "description: $4"
}

# Attributes seeded after the first release of this script: objects created by an
# older run get them too. Queued here, written by seed_attributes after the adds.
ATTRS=() # "dn|attribute|value"
ensure_attr() { ATTRS+=("$1|$2|$3"); }

seed_attributes() {
  local mod="" entry dn attr value out got
  for entry in "${ATTRS[@]}"; do
    IFS='|' read -r dn attr value <<<"$entry"
    if [ -z "${CREATED[${dn,,}]-}" ]; then
      out="$(admin_ldap ldapsearch -LLL -o ldif-wrap=no -b "$dn" -s base "(objectClass=*)" "$attr" 2>&1)" ||
        {
          echo "$out" >&2
          die "reading $attr of $dn failed"
        }
      got="$(sed -n "s/^$attr: //Ip" <<<"$out")"
      [ "$got" = "$value" ] && continue
    fi
    mod+="dn: $dn"$'\n'"changetype: modify"$'\n'"replace: $attr"$'\n'"$attr: $value"$'\n'"-"$'\n\n'
  done
  if [ -n "$mod" ]; then
    run_ldap "setting seeded attributes" admin_ldap ldapmodify <<<"$mod"
  fi
}

# name|given|sn
PEOPLE=(
  "alice|Alice|Requester"
  "bob|Bob|Approver"
  "carol|Carol|Admin"
  "dave|Dave|Outsider"
  "erin|Erin|Approver"
)
PRIV_ACCOUNTS=("adm-alice|alice" "adm-bob|bob")
# Catalog seed: privileged account|the devices it may log on to (userWorkstations). LNX01 is the SSH
# target; its logins are checked by the DC's own winbind, which names the workstation DC1 (a lab
# artefact: a joined LNX01 would send its own name), so DC1 is listed too or the DC refuses them
# (NT_STATUS_INVALID_WORKSTATION).
ACCOUNT_WORKSTATIONS=("adm-alice|SQL01,LNX01,DC1" "adm-bob|WEB01,DB01,LNX01,DC1")
PRIVILEGE_GROUPS=(
  "JIT SQL Admins|Just-in-time administrative access to the SQL Server instances"
  "JIT Web Admins|Just-in-time administrative access to the web servers"
  "JIT Backup Operators|Just-in-time rights to run and restore server backups"
  "JIT Helpdesk|Just-in-time helpdesk rights (password resets, unlocks)"
  "JIT Linux Admins|Just-in-time sudo on the Linux servers" # the SSH target's sudoers (scripts/ssh-target.sh)
)
# group DN|member DN
MEMBERSHIPS=(
  "$ITSEC_GROUP_DN|CN=carol,$OU_PEOPLE"
  "$ADMINS_GROUP_DN|$ITSEC_GROUP_DN"
)

seed_password_policy() {
  local out want got
  out="$(admin_ldap ldapsearch -LLL -o ldif-wrap=no -b "$BASE_DN" -s base "(objectClass=*)" \
    maxPwdAge minPwdAge pwdHistoryLength lockoutThreshold lockoutDuration lockOutObservationWindow 2>&1)" ||
    {
      echo "$out" >&2
      die "reading the domain password policy failed"
    }
  # minPwdAge 0, no history: a managed account's password is set again at once (sessions rotate it).
  want=$'maxPwdAge: '"$MAX_PWD_AGE_NEVER"$'\nminPwdAge: 0\npwdHistoryLength: 0\nlockoutThreshold: '"$LOCKOUT_THRESHOLD"$'\nlockoutDuration: '"$LOCKOUT_30_MIN"$'\nlockOutObservationWindow: '"$LOCKOUT_30_MIN"
  got="$(grep -E '^(maxPwdAge|minPwdAge|pwdHistoryLength|lockoutThreshold|lockoutDuration|lockOutObservationWindow): ' <<<"$out" | sort -f)"
  [ "$got" = "$(sort -f <<<"$want")" ] && return 0
  run_ldap "setting the domain password policy" admin_ldap ldapmodify <<EOF
dn: $BASE_DN
changetype: modify
replace: maxPwdAge
maxPwdAge: $MAX_PWD_AGE_NEVER
-
replace: minPwdAge
minPwdAge: 0
-
replace: pwdHistoryLength
pwdHistoryLength: 0
-
replace: lockOutObservationWindow
lockOutObservationWindow: $LOCKOUT_30_MIN
-
replace: lockoutDuration
lockoutDuration: $LOCKOUT_30_MIN
-
replace: lockoutThreshold
lockoutThreshold: $LOCKOUT_THRESHOLD
-
EOF
}

seed_objects() {
  load_existing
  LDIF=""
  ATTRS=()
  add_ou Interim "$BASE_DN" "Objects managed by or for Interim"
  add_ou People "$OU_ROOT" "People who use Interim"
  add_ou Privileges "$OU_ROOT" "Privileged groups Interim grants just-in-time"
  add_ou "Privileged Accounts" "$OU_ROOT" "Separate admin accounts"
  add_ou "Service Accounts" "$OU_ROOT" "Service accounts"
  add_ou "Temporary Groups" "$OU_ROOT" "Groups Interim creates and deletes"
  add_ou Servers "$OU_ROOT" "Servers"

  local entry sam given sn owner name desc
  for entry in "${PEOPLE[@]}"; do
    IFS='|' read -r sam given sn <<<"$entry"
    add_user "$OU_PEOPLE" "$sam" "$given" "$sn" "$given $sn" "" "$DEMO_PW"
  done
  for entry in "${PRIV_ACCOUNTS[@]}"; do
    IFS='|' read -r sam owner <<<"$entry"
    add_user "$OU_PRIV_ACCOUNTS" "$sam" "" "" "" "Privileged account of $owner" "$DEMO_PW"
  done
  # 66048 = NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD
  add_user "$OU_SERVICE" svc-interim "" "" "" "Interim service account (JIT group membership)" "$SVC_PW" 66048

  add_group "$OU_ROOT" "Interim Admins" "Administrators of the Interim application"
  add_group "$OU_ROOT" "IT Security" "IT security team"
  for entry in "${PRIVILEGE_GROUPS[@]}"; do
    IFS='|' read -r name desc <<<"$entry"
    add_group "$OU_PRIVILEGES" "$name" "$desc"
  done
  add_computer "$OU_SERVERS" SQL01 "Windows Server 2022" "SQL Server host"
  add_computer "$OU_SERVERS" WEB01 "Windows Server 2019" "IIS web server"
  add_computer "$OU_SERVERS" DB01 "Ubuntu 24.04" "PostgreSQL host (joined with realmd)"
  add_computer "$OU_SERVERS" LNX01 "Debian 12" "Linux server: the local SSH target (scripts/ssh-target.sh)"
  ensure_attr "CN=WEB01,$OU_SERVERS" wWWHomePage "https://web01.$DNS_DOMAIN"
  local workstations
  for entry in "${ACCOUNT_WORKSTATIONS[@]}"; do
    IFS='|' read -r sam workstations <<<"$entry"
    ensure_attr "CN=$sam,$OU_PRIV_ACCOUNTS" userWorkstations "$workstations"
  done

  if [ -n "$LDIF" ]; then
    run_ldap "creating directory objects" admin_ldap ldapadd <<<"$LDIF"
  fi
  seed_attributes

  local mod="" group member
  for entry in "${MEMBERSHIPS[@]}"; do
    IFS='|' read -r group member <<<"$entry"
    [ -n "${MEMBER[${group,,}|${member,,}]-}" ] && continue
    mod+="dn: $group"$'\n'"changetype: modify"$'\n'"add: member"$'\n'"member: $member"$'\n'"-"$'\n\n'
  done
  if [ -n "$mod" ]; then
    run_ldap "adding group members" admin_ldap ldapmodify <<<"$mod"
  fi
}

# Passwords of accounts that existed before this run follow the env: reset them
# when the env file is missing or recorded different passwords.
sync_passwords() {
  local mod="" entry sam
  local demo_dns=() dn
  for entry in "${PEOPLE[@]}"; do demo_dns+=("CN=${entry%%|*},$OU_PEOPLE"); done
  for entry in "${PRIV_ACCOUNTS[@]}"; do demo_dns+=("CN=${entry%%|*},$OU_PRIV_ACCOUNTS"); done
  if [ ! -f "$ENV_FILE" ] || [ "$(old_env_value DEMO_PASSWORD)" != "$DEMO_PW" ]; then
    for dn in "${demo_dns[@]}"; do
      [ -n "${CREATED[${dn,,}]-}" ] && continue
      mod+="dn: $dn"$'\n'"changetype: modify"$'\n'"replace: unicodePwd"$'\n'"unicodePwd:: $(unicode_pwd "$DEMO_PW")"$'\n'"-"$'\n\n'
    done
  fi
  if [ -z "${CREATED[${SVC_DN,,}]-}" ] &&
    { [ ! -f "$ENV_FILE" ] || [ "$(old_env_value LDAP_BIND_PASSWORD)" != "$SVC_PW" ]; }; then
    mod+="dn: $SVC_DN"$'\n'"changetype: modify"$'\n'"replace: unicodePwd"$'\n'"unicodePwd:: $(unicode_pwd "$SVC_PW")"$'\n'"-"$'\n\n'
  fi
  if [ -n "$mod" ]; then
    run_ldap "resetting seeded account passwords" admin_ldap ldapmodify <<<"$mod"
  fi
}

# svc-interim gets full control (inherited by children) over OU=Privileges and
# OU=Temporary Groups, nothing else. Checked through its effective rights.
delegation_ok() {
  local out
  out="$(ldap_as ldapsearch "$SVC_UPN" "$SVC_PW" -LLL -o ldif-wrap=no -b "$OU_ROOT" -s sub \
    "(|(&(objectClass=group)(cn=JIT SQL Admins))(&(objectClass=organizationalUnit)(ou=Temporary Groups)))" \
    allowedAttributesEffective allowedChildClassesEffective 2>&1)" || {
    echo "$out" >&2
    die "searching as svc-interim failed (does LDAP_BIND_PASSWORD match the DC?)"
  }
  grep -qix 'allowedAttributesEffective: member' <<<"$out" &&
    grep -qix 'allowedChildClassesEffective: group' <<<"$out"
}

svc_sid() {
  local out b64
  out="$(admin_ldap ldapsearch -LLL -o ldif-wrap=no -b "$SVC_DN" -s base "(objectClass=*)" objectSid 2>&1)" ||
    {
      echo "$out" >&2
      die "reading svc-interim's objectSid failed"
    }
  b64="$(sed -n 's/^objectSid:: //p' <<<"$out")"
  [ -n "$b64" ] || die "svc-interim has no objectSid"
  sid_to_string "$b64"
}

seed_delegation() {
  delegation_ok && return 0
  local sid ou
  sid="$(svc_sid)"
  for ou in "$OU_PRIVILEGES" "$OU_TEMP"; do
    # samba-tool works on the DC's database directly (it is the DC's own tool).
    run_ldap "delegating $ou to svc-interim" \
      samba-tool dsacl set -s "$CONF" -H "$DC_DIR/private/sam.ldb" --objectdn="$ou" --sddl="(A;CI;GA;;;$sid)"
  done
  delegation_ok || die "svc-interim still lacks write access to OU=Privileges / OU=Temporary Groups after delegation"
}

# svc-interim may reset the passwords of the users in OU=Privileged Accounts (managed privileged
# accounts: a session sets a fresh one), nothing more: the "Reset Password" extended right on user
# objects, inherited only (CIIO). Checked in the OU's security descriptor before it is set.
RESET_PASSWORD_RIGHT="00299570-246d-11d0-a768-00aa006e0529"
USER_CLASS="bf967aba-0de6-11d0-a285-00aa003049e2"
reset_delegation_ok() {
  local out
  out="$(samba-tool dsacl get -s "$CONF" -H "$DC_DIR/private/sam.ldb" --objectdn="$OU_PRIV_ACCOUNTS" 2>&1)" ||
    {
      echo "$out" >&2
      die "reading the security descriptor of $OU_PRIV_ACCOUNTS failed"
    }
  grep -qiF "$1" <<<"$out"
}

seed_reset_delegation() {
  local ace
  ace="(OA;CIIO;CR;$RESET_PASSWORD_RIGHT;$USER_CLASS;$(svc_sid))"
  reset_delegation_ok "$ace" && return 0
  run_ldap "delegating Reset Password on $OU_PRIV_ACCOUNTS to svc-interim" \
    samba-tool dsacl set -s "$CONF" -H "$DC_DIR/private/sam.ldb" --objectdn="$OU_PRIV_ACCOUNTS" --sddl="$ace"
  reset_delegation_ok "$ace" || die "svc-interim still lacks Reset Password on $OU_PRIV_ACCOUNTS after delegation"
}

check_not_privileged() {
  local out
  out="$(admin_ldap ldapsearch -LLL -o ldif-wrap=no -b "$BASE_DN" -s sub \
    "(&(sAMAccountName=svc-interim)(memberOf:1.2.840.113556.1.4.1941:=$DOMAIN_ADMINS_DN))" 1.1 2>&1)" ||
    {
      echo "$out" >&2
      die "checking svc-interim's group memberships failed"
    }
  # (a subtree search from the domain root also returns continuation references)
  ! grep -q '^dn' <<<"$out" || die "svc-interim is (directly or nested) a member of Domain Admins: remove it"
}

admin_dn() {
  local out
  out="$(admin_ldap ldapsearch -LLL -o ldif-wrap=no -b "CN=Users,$BASE_DN" -s one "(sAMAccountName=Administrator)" 1.1 2>&1)" ||
    {
      echo "$out" >&2
      die "looking up Administrator failed"
    }
  sed -n 's/^dn: //p' <<<"$out" | head -n 1
}

write_env() {
  local admin="$1" tmp
  [ -n "$admin" ] || die "Administrator's DN not found"
  tmp="$(mktemp "$DATA_DIR/.env.XXXXXX")"
  {
    echo "# Written by scripts/ad-up.sh: the local Samba AD DC ($REALM). Do not edit."
    echo "LDAP_URL=$(env_quote "$LDAP_URL")"
    echo "LDAP_CA_FILE=$(env_quote "$CA_FILE")"
    echo "LDAP_BASE_DN=$(env_quote "$BASE_DN")"
    echo "LDAP_BIND_DN=$(env_quote "$SVC_DN")"
    echo "LDAP_BIND_PASSWORD=$(env_quote "$SVC_PW")"
    echo "INTERIM_ADMIN_GROUP_DN=$(env_quote "$ADMINS_GROUP_DN")"
    echo "LDAP_PRIVILEGE_BASE_DN=$(env_quote "$OU_PRIVILEGES")"
    echo "TEMP_GROUP_OU=$(env_quote "$OU_TEMP")"
    echo "CATALOG_DEVICE_BASE_DNS=$(env_quote "$OU_SERVERS")"
    echo "CATALOG_CREDENTIAL_BASE_DNS=$(env_quote "$OU_PRIV_ACCOUNTS")"
    echo "AD_ADMIN_DN=$(env_quote "$admin")"
    echo "AD_ADMIN_PASSWORD=$(env_quote "$ADMIN_PASSWORD")"
    echo "DEMO_PASSWORD=$(env_quote "$DEMO_PW")"
    echo "SSH_TARGET_HOST=$(env_quote "$SSH_TARGET_FQDN")"
    echo "SSH_TARGET_PORT=$(env_quote "$SSH_TARGET_PORT")"
    echo "SSH_TARGET_HOSTKEY_SHA256=$(env_quote "$(bash "$SCRIPT_DIR/ssh-target.sh" fingerprint)")"
  } >"$tmp"
  chmod 600 "$tmp"
  if [ -f "$ENV_FILE" ] && cmp -s "$tmp" "$ENV_FILE"; then
    rm -f -- "$tmp"
  else
    mv -f -- "$tmp" "$ENV_FILE"
  fi
}

# --------------------------------------------------------------------- main --
mkdir -p "$DATA_DIR"
ensure_hosts_entry "$HOST_FQDN" "$HOST_NAME"
ensure_hosts_entry "$SSH_TARGET_FQDN" "$SSH_TARGET_NAME"
provision_if_needed
ensure_dc_config
restart_if_needed
start_if_needed
seed_password_policy
seed_objects
sync_passwords
check_not_privileged
seed_delegation
seed_reset_delegation
bash "$SCRIPT_DIR/ssh-target.sh" up
write_env "$(admin_dn)"

state="running"
[ "$provisioned" -eq 1 ] && state="provisioned and started"
[ "$provisioned" -eq 0 ] && [ "$started" -eq 1 ] && state="started"
[ "$provisioned" -eq 0 ] && [ "$restarted" -eq 1 ] && state="restarted (configuration changed)"
echo "ad-up: Samba AD DC $REALM $state at $LDAP_URL (pid $(cat "$PID_FILE")), ${#CREATED[@]} objects created; env: ${ENV_FILE#"$REPO_ROOT"/}"
