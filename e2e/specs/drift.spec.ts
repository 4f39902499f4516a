import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { Attribute, Change } from "ldapts";
import { signInViaApi } from "../fixtures/auth";
import { adminLdap, isMember, PRIVILEGE_OU, userDn } from "../fixtures/directory";

/*
 * Issue 5, drift: someone adds dave to a privilege group by hand in AD. The admin's check finds
 * the standing access, the admin accepts it, then removes it now — and AD follows. On a phone.
 */

test.use({ viewport: { width: 375, height: 800 } });

const GROUP_DN = `CN=JIT Helpdesk,${PRIVILEGE_OU}`;
const PRIVILEGE = "Helpdesk password resets";

test("standing access added by hand in AD is found, accepted, then removed now", async ({ page }) => {
  const ldap = await adminLdap();
  try {
    await ldap.modify(GROUP_DN, new Change({ operation: "add", modification: new Attribute({ type: "member", values: [await userDn(ldap, "dave")] }) }));
    expect(await isMember(ldap, "JIT Helpdesk", "dave")).toBe(true);

    await signInViaApi(page, "carol");
    await page.goto("/admin/drift");
    await expect(page.getByRole("heading", { level: 1, name: "Drift" })).toBeVisible();
    await page.getByRole("button", { name: "Check now" }).click();
    const row = page.getByRole("row", { name: `dave in ${PRIVILEGE}` });
    await expect(row.first()).toBeVisible({ timeout: 60_000 });
    await expect(
      row
        .first()
        .getByText(/standing/i)
        .first(),
    ).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);

    // Accepted: it stays, listed as accepted; the default action only alerts.
    await row.first().getByRole("button", { name: "Accept" }).click();
    await expect(page.getByRole("region", { name: "Accepted standing access" }).getByRole("row", { name: `dave in ${PRIVILEGE}` })).toBeVisible();
    expect(await isMember(ldap, "JIT Helpdesk", "dave")).toBe(true);

    // Removed now: gone from the page and from AD.
    const accepted = page.getByRole("region", { name: "Accepted standing access" }).getByRole("row", { name: `dave in ${PRIVILEGE}` });
    await accepted.getByRole("button", { name: "Remove now" }).click();
    await accepted.getByRole("button", { name: "Remove dave" }).click();
    await expect(accepted).toHaveCount(0);
    expect(await isMember(ldap, "JIT Helpdesk", "dave")).toBe(false);
  } finally {
    // Never leave dave in the group for the specs that follow.
    const dn = await userDn(ldap, "dave");
    await ldap.modify(GROUP_DN, new Change({ operation: "delete", modification: new Attribute({ type: "member", values: [dn] }) })).catch(() => {});
    await ldap.unbind();
  }
});
