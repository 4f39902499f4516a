/*
 * An unattended tab keeps polling (the inbox, live grants, the admin nav); those calls must not keep
 * the session from going idle (INTERIM_SESSION_IDLE_MINUTES). A call made more than a minute after
 * the last key, pointer or touch on the page says so, and the server does not count it as use.
 * Shared by the tRPC client (trpc/client.tsx) and the inbox's small one (trpc/call.ts).
 */
const BACKGROUND_HEADER = "x-interim-background"; // server/trpc/init.ts
const PRESENCE_MS = 60_000;
let lastPresence = Date.now();
if (typeof window !== "undefined") {
  const seen = () => {
    lastPresence = Date.now();
  };
  for (const type of ["pointerdown", "keydown", "wheel", "touchstart"] as const) window.addEventListener(type, seen, { passive: true, capture: true });
}

export const presenceHeaders = (): Record<string, string> => (Date.now() - lastPresence > PRESENCE_MS ? { [BACKGROUND_HEADER]: "1" } : {});
