# Loopback addresses for the local DCs, decided by what the interface carries, never by whether a
# bind happens to work (most Linux kernels let a socket bind any 127/8 address, but Samba, told
# `interfaces = 127.0.0.2`, looks for an interface that carries that address and finds none).
# Sourced by scripts/ad-dc2.sh and scripts/preflight.sh; needs `ip` (iproute2).
#
#   lo_is_up                 lo is administratively up
#   lo_has ADDR              ADDR is an address of lo (exactly, any prefix length)
#   lo_prefix ADDR           its prefix length there; lo_remove ADDR removes it unconditionally
#   lo_ensure ADDR MARKER    adds ADDR/8 to lo when missing and records that in MARKER;
#                            prints "added" or "present"
#   lo_release ADDR MARKER   removes ADDR only if MARKER says lo_ensure added it in this network
#                            namespace since this boot; prints "removed", "kept" (not ours) or "absent"
#   can_admin_network        root (or sudo) with CAP_NET_ADMIN: addresses can be changed
#
# Commands that change lo run through "${SUDO[@]}" when the caller defines SUDO (e.g. SUDO=(sudo)).
declare -p SUDO >/dev/null 2>&1 || SUDO=()

# The network namespace this shell runs in ("net:[4026531840]"): a marker written in one namespace
# says nothing about the lo of another (tests run the functions in namespaces of their own).
lo_netns() {
  readlink /proc/self/ns/net 2>/dev/null || echo "net:[unknown]"
}

lo_is_up() {
  # <LOOPBACK,UP,LOWER_UP>: the administrative flag UP, not the operstate (lo reports UNKNOWN).
  ip -o link show dev lo 2>/dev/null | grep -qE '<([^>]*,)?UP(,[^>]*)?>'
}

lo_has() {
  local want="$1"
  ip -o -4 addr show dev lo 2>/dev/null | awk -v want="$want" '{ split($4, a, "/"); if (a[1] == want) found = 1 } END { exit !found }'
}

# ADDR's prefix length on lo ("8" for 127.0.0.2/8); nothing when lo lacks ADDR.
lo_prefix() {
  ip -o -4 addr show dev lo 2>/dev/null | awk -v want="$1" '{ split($4, a, "/"); if (a[1] == want) { print a[2]; exit } }'
}

# Removes ADDR from lo, whoever added it (the kernel matches the prefix length too).
lo_remove() {
  local prefix
  prefix="$(lo_prefix "$1")"
  [ -n "$prefix" ] || return 0
  "${SUDO[@]}" ip addr del "$1/$prefix" dev lo
}

# What a marker holds for ADDR added here and now: the address, this network namespace, and this
# boot (the initial namespace has the same id after every boot; an address does not survive one).
lo_stamp() {
  printf '%s %s %s' "$1" "$(lo_netns)" "$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown-boot)"
}

# True when MARKER records ADDR as added by lo_ensure in this namespace since this boot.
lo_marked() {
  [ -f "$2" ] && [ "$(cat -- "$2" 2>/dev/null || true)" = "$(lo_stamp "$1")" ]
}

lo_ensure() {
  local addr="$1" marker="$2"
  if lo_has "$addr"; then
    # A marker of another boot or namespace says nothing about this address: someone else's.
    lo_marked "$addr" "$marker" || rm -f -- "$marker"
    echo present
    return 0
  fi
  "${SUDO[@]}" ip addr add "$addr/8" dev lo || return 1
  lo_has "$addr" || return 1
  mkdir -p -- "$(dirname -- "$marker")" || return 1
  { lo_stamp "$addr" && echo; } >"$marker" || return 1
  echo added
}

lo_release() {
  local addr="$1" marker="$2"
  if ! lo_has "$addr"; then
    rm -f -- "$marker"
    echo absent
    return 0
  fi
  if ! lo_marked "$addr" "$marker"; then
    rm -f -- "$marker"
    echo kept
    return 0
  fi
  lo_remove "$addr" || return 1
  rm -f -- "$marker"
  echo removed
}

# CAP_NET_ADMIN (bit 12) in the effective set of a root shell, or of one started through sudo.
can_admin_network() {
  local caps
  if [ "$(id -u)" -eq 0 ]; then
    caps="$(awk '/^CapEff:/ { print $2 }' /proc/self/status)"
  else
    caps="$(sudo -n awk '/^CapEff:/ { print $2 }' /proc/self/status 2>/dev/null)" || return 1
  fi
  [ -n "$caps" ] && (((16#$caps >> 12) & 1))
}
