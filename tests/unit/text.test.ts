import { describe, expect, it } from "vitest";
import { CONTROL_CHARACTER, hasNoControlCharacter, MULTI_LINE, ONE_LINE, SIGNIN_NAME } from "@/shared/text";

describe("what free text may hold", () => {
  const samples = {
    plain: "Ops – Zürich (prod) *",
    tab: "a\tb",
    newline: "a\nb",
    crlf: "a\r\nb",
    nul: "a\u0000b",
    escape: "a\u001bb",
    del: "a\u007fb",
    c1: "a\u0085b",
    empty: "",
  };
  const verdicts = (re: RegExp) => Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, re.test(v)]));

  it("one line: no C0 control character, no DEL", () => {
    expect(verdicts(ONE_LINE)).toEqual({ plain: true, tab: false, newline: false, crlf: false, nul: false, escape: false, del: false, c1: true, empty: true });
  });

  it("several lines: tabs and line breaks too", () => {
    expect(verdicts(MULTI_LINE)).toEqual({ plain: true, tab: true, newline: true, crlf: true, nul: false, escape: false, del: false, c1: true, empty: true });
  });

  it("a sign-in name: no C0 control character nor ( ) *, and not empty", () => {
    expect(verdicts(SIGNIN_NAME)).toEqual({
      plain: false,
      tab: false,
      newline: false,
      crlf: false,
      nul: false,
      escape: false,
      del: true,
      c1: true,
      empty: false,
    });
    expect(SIGNIN_NAME.test("alice.o'neil@interim.test")).toBe(true);
  });

  it("the catalog's lists: no Unicode control character at all (C1 included)", () => {
    expect(Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, hasNoControlCharacter(v)]))).toEqual({
      plain: true,
      tab: false,
      newline: false,
      crlf: false,
      nul: false,
      escape: false,
      del: false,
      c1: false,
      empty: true,
    });
    expect(CONTROL_CHARACTER.test("\u009f")).toBe(true);
  });
});
