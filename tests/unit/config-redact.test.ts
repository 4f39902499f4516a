import { describe, expect, it } from "vitest";
import { redactUrls } from "@/server/config-as-code/apply";

describe("configuration import audit: webhook URLs", () => {
  it("keeps only the origin of URLs anywhere in the event data", () => {
    const data = {
      object: { notifications: { webhooks: [{ name: "SIEM", url: "https://hooks.example.com/interim?token=s3cret" }] } },
      fields: [{ path: "notifications.webhooks", before: null, after: [{ url: "https://hooks.slack.com/services/T0/B0/XYZ" }] }],
      plain: "not a url",
      bare: "https://example.com",
    };
    const out = JSON.stringify(redactUrls(data));
    expect(out).not.toMatch(/s3cret|interim\?|T0\/B0|XYZ/);
    expect(redactUrls(data)).toMatchObject({
      object: { notifications: { webhooks: [{ name: "SIEM", url: "https://hooks.example.com/…" }] } },
      fields: [{ after: [{ url: "https://hooks.slack.com/…" }] }],
      plain: "not a url",
      bare: "https://example.com",
    });
  });
});
