import { describe, expect, it, vi } from "vitest";
import { DirectoryError } from "@/server/directory/errors";
import { invalid } from "@/server/errors";
import { recordedErrorText, requesterErrorText } from "@/server/grants/error-text";

describe("what a grant's last_error keeps, and what a requester sees of it", () => {
  it("keeps deliberate messages and replaces anything else by a reference", () => {
    expect(recordedErrorText(invalid("Too long."), "g1")).toBe("Too long.");
    expect(recordedErrorText(new DirectoryError("other", "add member: directory error 53 (unwilling)"), "g1")).toBe(
      "add member: directory error 53 (unwilling)",
    );
    // The unexpected error is logged (the logger reads the environment): a minimal one.
    for (const [k, v] of Object.entries({
      DATABASE_URL: "postgres://x@127.0.0.1/x",
      LDAP_URL: "ldaps://dc",
      LDAP_BASE_DN: "DC=x",
      LDAP_BIND_DN: "CN=x",
      LDAP_BIND_PASSWORD: "x",
      INTERIM_ADMIN_GROUP_DN: "CN=a,DC=x",
      LOG_LEVEL: "silent",
    })) {
      vi.stubEnv(k, v);
    }
    const sql = recordedErrorText(new Error('insert into "grants" violates foreign key constraint "x"'), "g1");
    expect(sql).toMatch(/^internal error \(ref [0-9a-f-]{36}\)$/);
    expect(sql).not.toMatch(/grants|constraint/);
  });

  it("drops the directory's detail in parentheses (addresses, diagnostics) for requesters", () => {
    expect(requesterErrorText("add member: the directory is unreachable (connect ECONNREFUSED 10.0.0.5:636)")).toBe("add member: the directory is unreachable");
    expect(requesterErrorText("add member: directory error 34 (invalid DN syntax (at <TTL=60,<GUID=x>>))")).toBe("add member: directory error 34");
    expect(requesterErrorText("Not activated: the access group is disabled.")).toBe("Not activated: the access group is disabled.");
    expect(requesterErrorText(null)).toBeNull();
  });
});
