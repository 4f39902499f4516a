/**
 * Integration tests need the real stack: run them through `npm test` (or
 * `npx tsx scripts/with-stack.ts --cluster test --db interim_test --fresh -- npx vitest run --project integration`).
 * A missing dependency fails the run loudly instead of skipping tests.
 */
export default function setup() {
  const missing = ["DATABASE_URL", "LDAP_URL", "LDAP_BIND_DN", "LDAP_BIND_PASSWORD", "AD_ADMIN_DN", "AD_ADMIN_PASSWORD"].filter((k) => !process.env[k]);
  if (missing.length) {
    throw new Error(`Integration tests need the local stack; missing ${missing.join(", ")}. Run \`npm test\`.`);
  }
}
