/**
 * A single-flight interval loop: `step` runs every `everyMs` unless the previous run is still going
 * (or `skip()` says so); a failed run is reported and the next tick tries again. `stop` waits for
 * the run in flight.
 */
export function startPoller(everyMs: number, step: () => Promise<void>, onError: (err: unknown) => void, skip?: () => boolean): { stop: () => Promise<void> } {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running || skip?.()) return;
    running = step()
      .catch(onError)
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
