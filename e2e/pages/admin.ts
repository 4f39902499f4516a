import type { Locator, Page } from "@playwright/test";

export class AdminPages {
  constructor(readonly page: Page) {}
  async gotoPrivileges() {
    await this.page.goto("/admin/privileges");
  }
  async gotoGrants() {
    await this.page.goto("/admin/grants");
  }
  async gotoAudit() {
    await this.page.goto("/admin/audit");
  }
  grantRow(username: string, privilege: string): Locator {
    return this.page.getByRole("row", { name: `${username} ${privilege}` });
  }
}
