import "server-only";
/*
 * Constants of the grant lifecycle that other modules (extensions, set rollbacks, the bench) need
 * without the lifecycle itself.
 */

/** After this many failed activation attempts a grant is marked failed (the request too). */
export const MAX_ACTIVATION_ATTEMPTS = 8;

/** How long after a grant's expiry its safety-net job runs (the timer normally acts first). */
export const EXPIRY_JOB_GRACE_MS = 3_000;
