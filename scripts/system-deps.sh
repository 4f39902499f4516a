#!/usr/bin/env bash
# Installs the Debian packages Interim's local tooling needs, only when missing (with their
# recommended packages, as in the recipe proven on this machine kind).
#
#   scripts/system-deps.sh            # everything
#   scripts/system-deps.sh samba      # Samba AD DC + LDAP/Kerberos client tools
#   scripts/system-deps.sh chromium   # browser for the end-to-end tests
#   scripts/system-deps.sh ssh        # the SSH target (scripts/ssh-target.sh): sshd, sudo, winbind's PAM/NSS modules
#   scripts/system-deps.sh rsyslog    # the syslog receiver of the SIEM tests and bench (tests/support/rsyslog.ts)
#
# Arguments are package sets (samba, chromium, ssh, all) or single package names
# from those sets. Idempotent and silent when everything is already installed.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd)"
cd "$REPO_ROOT"

# samba-ad-provision and samba-dsdb-modules are only "Recommends" of samba, but provisioning needs them.
# iproute2: `ip` and `ss`, for the DCs' loopback addresses and the preflight's port checks.
SAMBA_SET=(samba samba-ad-dc samba-ad-provision samba-dsdb-modules winbind krb5-user ldap-utils iproute2)
CHROMIUM_SET=(chromium)
# The SSH target's logins go through the DC's winbind (pam_winbind, nss_winbind); its services are
# never started by the packages (policy-rc.d below): scripts/ssh-target.sh runs its own sshd.
SSH_SET=(openssh-server sudo libpam-winbind libnss-winbind)
# The SIEM export's tests and bench start their own rsyslogd (imtcp, TLS through the GnuTLS driver) on
# loopback with a config of their own; the package's service is never started (policy-rc.d below).
# openssl makes the tests' CA and certificates.
RSYSLOG_SET=(rsyslog rsyslog-gnutls openssl)
ALL_SET=("${SAMBA_SET[@]}" "${CHROMIUM_SET[@]}" "${SSH_SET[@]}" "${RSYSLOG_SET[@]}")

die() { echo "system-deps: $*" >&2; exit 1; }

wanted=()
if [ "$#" -eq 0 ]; then
  wanted=("${ALL_SET[@]}")
else
  for arg in "$@"; do
    case "$arg" in
      all) wanted+=("${ALL_SET[@]}") ;;
      samba | ad | ldap) wanted+=("${SAMBA_SET[@]}") ;;
      chromium | browser) wanted+=("${CHROMIUM_SET[@]}") ;;
      ssh | sshd) wanted+=("${SSH_SET[@]}") ;;
      rsyslog | siem) wanted+=("${RSYSLOG_SET[@]}") ;;
      *)
        known=0
        for p in "${ALL_SET[@]}"; do [ "$p" = "$arg" ] && known=1; done
        [ "$known" -eq 1 ] || die "unknown package set '$arg' (use: samba, chromium, ssh, rsyslog, all, or one of: ${ALL_SET[*]})"
        wanted+=("$arg")
        ;;
    esac
  done
fi

is_installed() {
  local status
  status="$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)"
  [ "$status" = "install ok installed" ]
}

missing=()
for p in "${wanted[@]}"; do
  # de-duplicate
  case " ${missing[*]-} " in *" $p "*) continue ;; esac
  is_installed "$p" || missing+=("$p")
done

[ "${#missing[@]}" -eq 0 ] && exit 0

command -v apt-get >/dev/null 2>&1 || die "missing packages (${missing[*]}) and no apt-get: install them by hand"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install: ${missing[*]}"
  SUDO=(sudo)
fi

echo "system-deps: installing ${missing[*]}"

log="$(mktemp -t interim-system-deps.XXXXXX)"
policy_created=0
cleanup() {
  if [ "$policy_created" -eq 1 ]; then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; fi
  rm -f "$log"
}
trap cleanup EXIT

# Keep package post-install scripts from starting the distribution's smbd/nmbd/
# samba-ad-dc/ssh/rsyslog services: scripts/ad-up.sh runs its own DC on loopback.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
  policy_created=1
fi

export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  die "apt-get update failed"
fi
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}" >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  die "apt-get install failed for: ${missing[*]}"
fi

for p in "${missing[@]}"; do
  is_installed "$p" || die "package $p still not installed after apt-get install"
done
