/**
 * The browser's plain checks (no zod in the phone pages' bundles) must give the server's answers:
 * each input is run through both, and both must accept it or both refuse it with the same message.
 */
import { describe, expect, it } from "vitest";
import { checkComment, checkShortenTo } from "@/app/(inbox)/inbox/_components/decision-check";
import { checkSignin } from "@/app/signin/signin-check";
import { decideInput } from "@/server/approvals/schemas";
import { signinInput } from "@/server/auth/schemas";

const firstIssue = (r: { success: boolean; error?: { issues: { message: string; path: PropertyKey[] }[] } }, field: string) =>
  r.success ? undefined : r.error!.issues.find((i) => i.path[0] === field)?.message;

describe("sign-in checks agree with signinInput", () => {
  const usernames = [
    "alice",
    "  alice  ",
    "",
    "   ",
    "a".repeat(256),
    "a".repeat(257),
    "al*ce",
    "DOMAIN\\alice",
    "alice@interim.test",
    "al\u0001ice",
    "(alice)",
  ];
  const passwords = ["secret", "", " ", "x".repeat(1024), "x".repeat(1025), " spaced "];
  it.each(usernames.flatMap((u) => passwords.map((p) => [u, p] as const)))("%j / %j", (username, password) => {
    const server = signinInput.safeParse({ username, password });
    const client = checkSignin(username, password);
    expect(client.errors.username).toBe(firstIssue(server, "username"));
    expect(client.errors.password).toBe(firstIssue(server, "password"));
    if (server.success) expect(client.username).toBe(server.data.username);
  });
});

describe("decision checks agree with decideInput", () => {
  const requestId = "00000000-0000-4000-8000-000000000001";
  it.each(["", "  ok  ", "line one\nline two", "x".repeat(1000), "x".repeat(1001), "tab\there", "bell\u0007", "del\u007f"])("comment %j", (raw) => {
    const server = decideInput.safeParse({ requestId, decision: "approve", comment: raw, durationMinutes: null });
    const client = checkComment(raw);
    expect(client.error).toBe(firstIssue(server, "comment"));
    if (server.success) expect(client.comment).toBe(server.data.comment);
  });

  it.each(["", " ", "20", " 20 ", "30", "31", "0", "-5", "2.5", "abc", "1e1"])("shorten to %j (of 30)", (raw) => {
    const client = checkShortenTo(raw, 30);
    if (raw.trim() === "") return expect(client).toEqual({ minutes: null });
    // The server's rule for the number (the form adds the bound of this request: at most 30).
    const server = decideInput.safeParse({ requestId, decision: "approve", comment: "", durationMinutes: raw });
    const serverError = firstIssue(server, "durationMinutes");
    if (serverError) {
      // zod's "expected number, received NaN" is the form's "Enter a number of minutes".
      expect(client.error).toBe(Number.isNaN(Number(raw)) ? "Enter a number of minutes" : serverError);
    } else if (server.success && server.data.durationMinutes! > 30) {
      expect(client.error).toBe("At most 30 minutes: approvers can shorten, not lengthen");
    } else {
      expect(client).toEqual({ minutes: server.success ? server.data.durationMinutes : null });
    }
  });
});
