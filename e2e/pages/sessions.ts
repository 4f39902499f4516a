import { expect, type Locator, type Page } from "@playwright/test";

/** The "Sessions" section of /roles: start a recorded session on a device, and the person's sessions. */
export class SessionsSection {
  constructor(readonly page: Page) {}

  async goto() {
    await this.page.goto("/roles");
    await expect(this.startForm()).toBeVisible();
  }

  startForm(): Locator {
    return this.page.getByRole("form", { name: "Start a session" });
  }

  /** Picks the device and account by the start of their option text (the device's host and the managed note follow). */
  async start(s: { device: string; account: string; justification: string }) {
    const form = this.startForm();
    await selectByText(form.getByLabel("Device"), s.device);
    await selectByText(form.getByLabel("Account"), s.account);
    await form.getByLabel("Justification").fill(s.justification);
    await form.getByRole("button", { name: "Start session" }).click();
    await expect(form.getByText(/^Session requested/)).toBeVisible();
  }

  item(device: string, login: string): Locator {
    return this.page.getByRole("listitem", { name: `Session on ${device} as ${login}` });
  }

  /** Waits until the worker has made the session ready (the list refreshes itself), then opens its terminal page. Returns the session id. */
  async openTerminal(device: string): Promise<string> {
    const connect = this.page.getByRole("link", { name: `Connect to ${device}` });
    await expect(connect).toBeVisible({ timeout: 60_000 });
    await connect.click();
    await expect(this.page).toHaveURL(/\/roles\/sessions\/[0-9a-f-]{36}$/);
    return /\/roles\/sessions\/([0-9a-f-]{36})$/.exec(this.page.url())![1]!;
  }
}

/** /roles/sessions/[id]: the browser terminal (xterm.js over the gateway's WebSocket). */
export class TerminalPage {
  constructor(readonly page: Page) {}

  status(): Locator {
    return this.page.getByRole("status");
  }

  terminal(): Locator {
    return this.page.getByRole("region", { name: "Terminal" });
  }

  /** What xterm.js shows (its DOM renderer's rows). */
  screen(): Locator {
    return this.terminal().locator(".xterm-rows");
  }

  /** Connects and waits for the device's shell prompt. */
  async connect(login: string) {
    await this.page.getByRole("button", { name: "Connect", exact: true }).click();
    await expect(this.status()).toHaveText("Connected", { timeout: 30_000 });
    await expect(this.screen()).toContainText(`${login}@`, { timeout: 30_000 });
  }

  /** Types a line into the terminal as a person would (keystrokes, then Enter). */
  async run(line: string) {
    await this.terminal().click();
    await this.page.keyboard.type(line);
    await this.page.keyboard.press("Enter");
  }
}

/** /admin/recordings and /admin/recordings/[id]. */
export class RecordingsPages {
  constructor(readonly page: Page) {}

  async gotoList() {
    await this.page.goto("/admin/recordings");
    await expect(this.page.getByRole("heading", { name: "Sessions on devices", level: 1 })).toBeVisible();
  }

  sessionLink(person: string, device: string, login: string): Locator {
    return this.page.getByRole("link", { name: `${person} on ${device} as ${login}` });
  }

  commandIndex(): Locator {
    return this.page.getByRole("list", { name: "Command index" });
  }

  player(): Locator {
    return this.page.getByRole("region", { name: "Recording" });
  }

  async searchCommands(text: string): Promise<Locator> {
    const form = this.page.getByRole("search", { name: "Search commands" });
    await form.getByLabel("Who ran…").fill(text);
    await form.getByRole("button", { name: "Search commands" }).click();
    return this.page.getByRole("list", { name: "Matching commands" });
  }
}

async function selectByText(select: Locator, startsWith: string) {
  const option = select.locator("option").filter({ hasText: new RegExp(`^${startsWith.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`) });
  await expect(option).toHaveCount(1);
  await select.selectOption((await option.getAttribute("value"))!);
}
