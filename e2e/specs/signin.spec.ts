import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD } from "../fixtures/directory";
import { SigninPage } from "../pages/signin";

test.describe("sign-in", () => {
  test("a wrong password is refused with a clear message", async ({ page }) => {
    const signin = new SigninPage(page);
    await signin.goto();
    await expect(signin.heading()).toBeVisible();
    await signin.signIn("alice", "not-her-password");
    await expect(signin.alert()).toContainText("Wrong username or password.");
    await expect(page).toHaveURL(/\/signin/);
  });

  test("empty fields are refused before anything is sent", async ({ page }) => {
    const signin = new SigninPage(page);
    await signin.goto();
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByText("Enter your username")).toBeVisible();
    await expect(page.getByText("Enter your password")).toBeVisible();
  });

  test("a requester signs in and lands on the request page; the admin area stays closed", async ({ page }) => {
    const signin = new SigninPage(page);
    await signin.goto();
    await signin.signIn("alice", DEMO_PASSWORD);
    await expect(page.getByRole("heading", { name: "Request access" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Administration" })).toHaveCount(0);

    await page.goto("/admin");
    await expect(page).toHaveURL(/\/signin/);
    await expect(page.getByText("Your account is not an Interim administrator.")).toBeVisible();
  });

  test("guarded pages send signed-out visitors to sign in", async ({ page }) => {
    await page.goto("/roles");
    await expect(page).toHaveURL(/\/signin\?callbackUrl=/);
  });

  test("the API refuses signed-out callers too", async ({ request }) => {
    const res = await request.get("/api/trpc/requests.mine");
    expect(res.status()).toBe(401);
  });
});
