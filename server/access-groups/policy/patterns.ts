/*
 * Criteria patterns: `*` matches any run of characters (including none); every other character,
 * regex metacharacters included, is literal; the whole value must match (anchored); case is
 * ignored, like AD names. Matched with a two-pointer walk instead of a RegExp, so a pattern such
 * as `*a*a*a*b` cannot backtrack exponentially and nothing needs escaping.
 */

export function matchesPattern(pattern: string, value: string): boolean {
  const p = pattern.toLowerCase();
  const v = value.toLowerCase();
  let pi = 0;
  let vi = 0;
  let starAt = -1; // position of the last `*` seen in the pattern
  let resumeAt = 0; // where in the value that `*` currently stops
  while (vi < v.length) {
    if (pi < p.length && p[pi] === "*") {
      starAt = pi++;
      resumeAt = vi;
    } else if (pi < p.length && p[pi] === v[vi]) {
      pi++;
      vi++;
    } else if (starAt !== -1) {
      // Let the last `*` swallow one more character and retry from just after it.
      pi = starAt + 1;
      vi = ++resumeAt;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === "*") pi++;
  return pi === p.length;
}

export function matchesAny(patterns: readonly string[], value: string): boolean {
  return patterns.some((pattern) => matchesPattern(pattern, value));
}
