import type { Page } from "@playwright/test";

export class SigninPage {
  constructor(readonly page: Page) {}
  heading = () => this.page.getByRole("heading", { name: "Sign in to Interim" });
  // Next renders its own (empty) route announcer with role="alert": take the one with text.
  alert = () => this.page.getByRole("alert").filter({ hasText: /\S/ });
  async goto(callbackUrl?: string) {
    await this.page.goto(callbackUrl ? `/signin?callbackUrl=${encodeURIComponent(callbackUrl)}` : "/signin");
  }
  async signIn(username: string, password: string) {
    await this.page.getByLabel("Username").fill(username);
    await this.page.getByLabel("Password", { exact: true }).fill(password);
    await this.page.getByRole("button", { name: "Sign in" }).click();
  }
}
