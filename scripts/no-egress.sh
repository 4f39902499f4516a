#!/usr/bin/env bash
# Runs a command where it can reach nothing but loopback, with the hosts Next.js sends telemetry
# to pointed at a catcher on 127.0.0.1 (ports 80 and 443). Exits 3 naming what was contacted when
# the command, or anything it left behind (Next sends from a detached process after it exits),
# connected to the catcher; otherwise with the command's own status.
#
#   scripts/no-egress.sh -- command [args…]
#
# A network and mount namespace of its own (`unshare -n -m`): lo only, and a private /etc/hosts.
# Needs root. scripts/test.sh runs the production build through it.
set -euo pipefail

CAUGHT_HOSTS=(telemetry.nextjs.org)
GRACE_SECONDS="${NO_EGRESS_GRACE_SECONDS:-30}"

[ "${1:-}" = "--" ] && shift
[ "$#" -gt 0 ] || {
  echo "usage: scripts/no-egress.sh -- command [args…]" >&2
  exit 2
}

if [ "${INTERIM_NO_EGRESS_NS:-}" != "$$" ]; then
  # Re-run this script inside the namespaces; the marker is the new shell's pid, which `exec`
  # keeps, so an inner command that runs this script again gets namespaces of its own too.
  exec unshare --net --mount bash -c 'export INTERIM_NO_EGRESS_NS=$$; exec bash "$@"' bash "$0" -- "$@"
fi

ip link set dev lo up
scratch="$(mktemp -d)"
trap 'rm -rf -- "$scratch"' EXIT
{
  cat /etc/hosts
  for h in "${CAUGHT_HOSTS[@]}"; do echo "127.0.0.1 $h"; done
} >"$scratch/hosts"
mount --bind "$scratch/hosts" /etc/hosts

# The catcher: records each connection (port, and the TLS server name when one is sent).
cat >"$scratch/catcher.py" <<'PY'
import socket, sys, threading
log = open(sys.argv[1], "a", buffering=1)
def sni(data):
    # ClientHello: find the server_name extension's host name, if any.
    try:
        i = 43
        i += 1 + data[i]
        i += 2 + int.from_bytes(data[i:i + 2], "big")
        i += 1 + data[i]
        end = i + 2 + int.from_bytes(data[i:i + 2], "big")
        i += 2
        while i + 4 <= end:
            kind, size = int.from_bytes(data[i:i + 2], "big"), int.from_bytes(data[i + 2:i + 4], "big")
            if kind == 0:
                return data[i + 9:i + 4 + size].decode("ascii", "replace")
            i += 4 + size
    except Exception:
        pass
    return ""
def serve(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        c.settimeout(2)
        try:
            data = c.recv(4096)
        except Exception:
            data = b""
        head = sni(data) if port == 443 else data.split(b"\r\n\r\n")[0].decode("latin-1", "replace").replace("\r\n", " | ")
        log.write(f"port {port}: {head or '(nothing sent)'}\n")
        c.close()
for p in (80, 443):
    threading.Thread(target=serve, args=(p,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
PY
: >"$scratch/contacts"
coproc CATCHER { exec python3 "$scratch/catcher.py" "$scratch/contacts"; }
catcher_pid=$CATCHER_PID
read -r ready <&"${CATCHER[0]}"
[ "$ready" = ready ] || {
  echo "no-egress: the catcher did not start" >&2
  exit 1
}

status=0
"$@" || status=$?

# Whatever the command left running in this namespace (node processes: Next's detached flush)
# gets a grace period to send, then is stopped.
deadline=$((SECONDS + GRACE_SECONDS))
while pgrep --ns $$ --nslist net -x node >/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
pkill --ns $$ --nslist net -x node 2>/dev/null || true
sleep 0.3
kill "$catcher_pid" 2>/dev/null || true

if [ -s "$scratch/contacts" ]; then
  echo "no-egress: the command reached for ${CAUGHT_HOSTS[*]}:" >&2
  sed 's/^/  /' "$scratch/contacts" >&2
  exit 3
fi
exit "$status"
