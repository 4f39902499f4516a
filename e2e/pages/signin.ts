import type { Page } from "@playwright/test";

export class SigninPage {
  constructor(readonly page: Page) {}
  heading = () => this.page.getByRole("heading", { name: "Sign in to Interim" });
  alert = () => this.page.getByRole("alert");
  async goto(callbackUrl?: string) {
    await this.page.goto(callbackUrl ? `/signin?callbackUrl=${encodeURIComponent(callbackUrl)}` : "/signin");
  }
  async signIn(username: string, password: string) {
    await this.page.getByLabel("Username").fill(username);
    await this.page.getByLabel("Password", { exact: true }).fill(password);
    await this.page.getByRole("button", { name: "Sign in" }).click();
  }
}
