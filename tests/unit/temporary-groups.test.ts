import { describe, expect, it } from "vitest";
import { grantIdOfTemporaryGroup, temporaryGroupName } from "@/server/directory/temporary-groups";

describe("temporary group names", () => {
  const grantId = "3F2504E0-4F89-41D3-9A0C-0305E82C3301";

  it("are the prefix and the grant id's 32 hex digits, lower case", () => {
    expect(temporaryGroupName(grantId, "jit-")).toBe("jit-3f2504e04f8941d39a0c0305e82c3301");
  });

  it("give the grant id back, and nothing for other names", () => {
    expect(grantIdOfTemporaryGroup(temporaryGroupName(grantId, "jit-"), "jit-")).toBe(grantId.toLowerCase());
    expect(grantIdOfTemporaryGroup("JIT-3F2504E04F8941D39A0C0305E82C3301", "jit-")).toBe(grantId.toLowerCase());
    expect(grantIdOfTemporaryGroup(temporaryGroupName(grantId, "jit-"), "other-")).toBeNull();
    expect(grantIdOfTemporaryGroup("jit-3f2504e04f8941d39a0c0305e82c330", "jit-")).toBeNull();
    expect(grantIdOfTemporaryGroup("jit-3f2504e04f8941d39a0c0305e82c33zz", "jit-")).toBeNull();
    expect(grantIdOfTemporaryGroup("Domain Admins", "jit-")).toBeNull();
  });

  it("refuse anything but a grant id", () => {
    expect(() => temporaryGroupName("not-a-uuid", "jit-")).toThrow(RangeError);
    expect(() => temporaryGroupName("3f2504e0-4f89-41d3-9a0c-0305e82c3301,OU=x", "jit-")).toThrow(RangeError);
  });
});
