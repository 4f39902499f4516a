import { expect, type Locator, type Page } from "@playwright/test";

/** The approver's inbox (/inbox): requests waiting for them, and their past decisions. */
export class InboxPage {
  constructor(readonly page: Page) {}

  heading = () => this.page.getByRole("heading", { level: 1, name: "Approvals" });

  /** Opens the inbox, or the deep link to one request (`/inbox?request=<id>`). */
  async goto(requestId?: string) {
    await this.page.goto(requestId ? `/inbox?request=${encodeURIComponent(requestId)}` : "/inbox");
    await expect(this.heading()).toBeVisible();
  }

  waiting(): Locator {
    return this.page.getByRole("region", { name: "Waiting for you" });
  }

  decisions(): Locator {
    return this.page.getByRole("region", { name: "Your decisions" });
  }

  /** A request waiting for this approver, named "<requester username> <privilege>". */
  card(requester: string, privilege: string): Locator {
    return this.waiting().getByRole("article", { name: `${requester} ${privilege}`, exact: true });
  }

  /** The value next to a term of a card's details ("Level", "Access group", …). */
  detail(card: Locator, term: string): Locator {
    return card
      .locator("dl > div")
      .filter({ has: this.page.locator("dt").getByText(term, { exact: true }) })
      .locator("dd");
  }

  /** The request id behind a card, for the deep link. */
  async requestIdOf(card: Locator): Promise<string> {
    const id = await card.getAttribute("id");
    expect(id).toMatch(/^request-[0-9a-f-]{36}$/);
    return id!.slice("request-".length);
  }

  /** Approves or denies in two taps, with an optional comment and (approval only) a shorter duration. */
  async decide(card: Locator, decision: "approve" | "deny", opts: { comment?: string; shortenTo?: number } = {}) {
    if (opts.comment) await card.getByLabel("Comment (optional)").fill(opts.comment);
    if (opts.shortenTo !== undefined) await card.getByLabel("Shorten to (minutes)").fill(String(opts.shortenTo));
    const label = decision === "approve" ? "Approve" : "Deny";
    await card.getByRole("button", { name: label, exact: true }).click();
    await card.getByRole("button", { name: `Confirm ${decision}`, exact: true }).click();
  }

  /** The note that says what the last decision did. */
  outcome(text: string | RegExp): Locator {
    return this.waiting().getByRole("status").filter({ hasText: text });
  }

  emptyState(): Locator {
    return this.waiting().getByText("Nothing waits for your decision");
  }
}
