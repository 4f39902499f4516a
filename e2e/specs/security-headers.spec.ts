import { expect, test, type APIResponse, type Page } from "@playwright/test";
import { signInViaApi } from "../fixtures/auth";

/** The policy as directive → sources. */
function directives(policy: string | undefined): Map<string, string[]> {
  return new Map(
    (policy ?? "")
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

const nonceOf = (policy: string | undefined) =>
  directives(policy)
    .get("script-src")
    ?.find((s) => s.startsWith("'nonce-"))
    ?.slice(7, -1);

function expectHardened(res: APIResponse) {
  const headers = res.headers();
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(["strict-origin-when-cross-origin", "no-referrer"]).toContain(headers["referrer-policy"]);
  expect(headers["x-frame-options"]).toBe("DENY");
}

function expectPolicy(res: APIResponse) {
  const csp = directives(res.headers()["content-security-policy"]);
  expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
  expect(csp.get("object-src")).toEqual(["'none'"]);
  expect(csp.get("base-uri")).toEqual(["'self'"]);
  expect(csp.get("form-action")).toEqual(["'self'"]);
  expect(csp.get("script-src")).toContain("'strict-dynamic'");
  expect(csp.get("script-src")).not.toContain("'unsafe-inline'");
  expect(nonceOf(res.headers()["content-security-policy"])).toMatch(/^[A-Za-z0-9+/]{22}==$/);
}

test.describe("security headers", () => {
  test("a page, an API route and a static file carry them; HSTS only when a trusted proxy says https", async ({ request }) => {
    const page = await request.get("/signin");
    expect(page.ok()).toBe(true);
    expectHardened(page);
    expectPolicy(page);
    expect(page.headers()["strict-transport-security"]).toBeUndefined();

    for (const api of [await request.get("/api/health"), await request.get("/api/auth/csrf"), await request.get("/api/trpc/requests.mine")]) {
      expectHardened(api);
      expectPolicy(api);
    }

    const script = (await page.text()).match(/src="(\/_next\/static\/[^"]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    expectHardened(await request.get(script!));

    // In the e2e stack loopback is the trusted proxy (TRUSTED_PROXIES), so its word counts.
    const viaTls = await request.get("/signin", { headers: { "x-forwarded-proto": "https" } });
    expect(viaTls.headers()["strict-transport-security"]).toMatch(/^max-age=\d{8,}/);
    expect(directives(viaTls.headers()["content-security-policy"]).has("upgrade-insecure-requests")).toBe(true);
  });

  test("each load has its own nonce, and every script Next renders carries it", async ({ page }) => {
    const nonces: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await page.goto("/signin");
      const nonce = nonceOf(res?.headers()["content-security-policy"]);
      expect(nonce).toBeDefined();
      nonces.push(nonce!);
      const scripts = (await res!.text()).match(/<script\b[^>]*>/g) ?? [];
      expect(scripts.length).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
      await expect(page.getByRole("heading", { name: "Sign in to Interim" })).toBeVisible();
    }
    expect(nonces[0]).not.toBe(nonces[1]);
  });

  test("a script injected into the page's HTML does not run; Next's own still do", async ({ page }) => {
    const violations = await watchViolations(page);
    // As a stored XSS would: the server's own response, headers and all, with a script added.
    await page.route("**/signin", async (route) => {
      const res = await route.fetch();
      const html = (await res.text()).replace("<body", "<script>window.__injected = true</script><body");
      await route.fulfill({ response: res, body: html });
    });
    await page.goto("/signin");
    await expect(page.getByRole("heading", { name: "Sign in to Interim" })).toBeVisible();
    await expect.poll(() => page.evaluate(() => Object.keys(document.body).some((k) => k.startsWith("__react")))).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
    // Reported, and the only thing the policy had to stop (the console may repeat it in its own words).
    const reports = () => violations.filter((v) => !v.startsWith("console:"));
    await expect.poll(() => reports().length).toBeGreaterThan(0);
    expect(reports().every((v) => /^script-src(-elem)? inline \/signin$/.test(v))).toBe(true);
  });
});

/** Records every CSP violation the page reports, from the first script on. */
async function watchViolations(page: Page): Promise<string[]> {
  const seen: string[] = [];
  await page.exposeFunction("__reportViolation", (text: string) => seen.push(text));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      void (window as unknown as { __reportViolation: (t: string) => void }).__reportViolation(
        `${e.violatedDirective} ${e.blockedURI} ${document.location.pathname}`,
      );
    });
  });
  page.on("console", (msg) => {
    if (/Content Security Policy/i.test(msg.text())) seen.push(`console: ${msg.text()}`);
  });
  return seen;
}

test("no page breaks the policy: sign-in, requester, inbox and every admin page", async ({ page }) => {
  const violations = await watchViolations(page);
  await page.goto("/signin");
  await expect(page.getByRole("heading", { name: "Sign in to Interim" })).toBeVisible();

  await signInViaApi(page, "carol");
  const paths = [
    "/roles",
    "/inbox",
    "/admin",
    "/admin/privileges",
    "/admin/privilege-sets",
    "/admin/access-groups",
    "/admin/catalog",
    "/admin/grants",
    "/admin/drift",
    "/admin/audit",
    "/admin/recordings",
    "/admin/directory",
    "/admin/configuration",
    "/admin/api-tokens",
    "/no-such-page",
  ];
  for (const path of paths) {
    await page.goto(path);
    await expect(page.getByRole("heading").first()).toBeVisible();
    // Hydrated: React took over the page, so Next's own scripts ran under the policy.
    await expect.poll(() => page.evaluate(() => Object.keys(document.body).some((k) => k.startsWith("__react")))).toBe(true);
  }
  // Client-side navigations too (the router fetches and runs code after the first load).
  await page.goto("/admin");
  await page.getByRole("link", { name: "Audit trail" }).click();
  await expect(page).toHaveURL(/\/admin\/audit/);
  await page.getByRole("link", { name: "Access groups" }).click();
  await expect(page).toHaveURL(/\/admin\/access-groups/);
  expect(violations).toEqual([]);
});

test.describe("tRPC mutations take JSON only", () => {
  test("a form post (urlencoded, multipart, text/plain) to a mutation is refused with 415; JSON works", async ({ page }) => {
    await signInViaApi(page, "carol");
    const path = "/api/trpc/audit.verify";

    const urlencoded = await page.request.post(path, { form: { json: "null" } });
    expect(urlencoded.status()).toBe(415);
    // What an HTML form with enctype="multipart/form-data" sends; tRPC itself would run the mutation.
    const multipart = await page.request.post(path, { multipart: { json: "null" } });
    expect(multipart.status()).toBe(415);
    const plain = await page.request.post(path, { headers: { "content-type": "text/plain" }, data: "{}" });
    expect(plain.status()).toBe(415);
    const none = await page.request.post(path, { headers: { "content-type": "" }, data: "{}" });
    expect(none.status()).toBe(415);

    const json = await page.request.post(path, { headers: { "content-type": "application/json" }, data: "{}" });
    expect(json.status()).toBe(200);
    const withCharset = await page.request.post(path, { headers: { "content-type": "application/json; charset=utf-8" }, data: "{}" });
    expect(withCharset.status()).toBe(200);
  });
});
