import "server-only";
/**
 * Applies an all-or-nothing directory change to many values in batches. AD fails a whole
 * modify when one value is already present/absent; the caller reports that as "conflict", and
 * we split the batch until the offending values are applied (and found harmless) one by one.
 * Any other error is rethrown: the caller's retry policy owns it.
 */
export type BatchOutcome = "applied" | "conflict";

export interface BatchResult<T> {
  applied: T[];
  /** Values whose single-value change reported a conflict: already in the desired state. */
  alreadyDone: T[];
  modifies: number;
}

export async function applyInBatches<T>(values: readonly T[], batchSize: number, apply: (batch: T[]) => Promise<BatchOutcome>): Promise<BatchResult<T>> {
  const result: BatchResult<T> = { applied: [], alreadyDone: [], modifies: 0 };
  const run = async (batch: T[]): Promise<void> => {
    if (batch.length === 0) return;
    result.modifies++;
    const outcome = await apply(batch);
    if (outcome === "applied") {
      result.applied.push(...batch);
      return;
    }
    if (batch.length === 1) {
      result.alreadyDone.push(batch[0]!);
      return;
    }
    const mid = Math.ceil(batch.length / 2);
    await run(batch.slice(0, mid));
    await run(batch.slice(mid));
  };
  const size = Math.max(1, batchSize);
  for (let i = 0; i < values.length; i += size) await run(values.slice(i, i + size));
  return result;
}
