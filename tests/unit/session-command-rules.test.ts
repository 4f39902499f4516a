import { describe, expect, it } from "vitest";
import { evaluate, simpleCommands } from "@/server/sessions/command-rules";
import { compileCommandRegex } from "@/shared/sessions/command-regex";
import { commandPatternSchema, commandRulesSchema, parseCommandPattern, plannedActivitySchema } from "@/shared/sessions/rules-schema";

const RULES = commandRulesSchema.parse({
  block: ["rm -rf *", "/^mkfs(\\.\\w+)?\\b/", "shutdown*"],
  alert: ["*Set-ADUser*", "/\\bpasswd\\b/", "rm *", "/curl.*\\|\\s*(ba)?sh/i"],
});

describe("evaluate: block and alert", () => {
  it.each<[string, "allow" | "alert" | "block", string | undefined]>([
    ["ls -la", "allow", undefined],
    ["rm -rf /", "block", "rm -rf *"],
    ["RM -RF /", "block", "rm -rf *"], // globs ignore case
    ["  rm -rf /tmp  ", "block", "rm -rf *"], // trimmed
    ["rm   -rf\t/", "block", "rm -rf *"], // blanks collapsed
    ["ls; rm -rf /", "block", "rm -rf *"],
    ["ls && rm -rf /", "block", "rm -rf *"],
    ["false || rm -rf /", "block", "rm -rf *"],
    ["find / | rm -rf x", "block", "rm -rf *"],
    ["sleep 1 & rm -rf /", "block", "rm -rf *"],
    ["echo $(rm -rf /)", "block", "rm -rf *"],
    ["echo `rm -rf /`", "block", "rm -rf *"],
    ["(cd /; rm -rf .)", "block", "rm -rf *"],
    ["if true; then rm -rf /; fi", "block", "rm -rf *"],
    ["ls\nrm -rf /", "block", "rm -rf *"],
    ["sudo rm -rf /", "block", "rm -rf *"],
    ["sudo -u root -E rm -rf /", "block", "rm -rf *"],
    ["sudo -n -- rm -rf /", "block", "rm -rf *"],
    ["env -i PATH=/bin rm -rf /", "block", "rm -rf *"],
    ["LANG=C rm -rf /", "block", "rm -rf *"],
    ["nohup nice -n 5 rm -rf /", "block", "rm -rf *"],
    ["timeout -s KILL 5 rm -rf /", "block", "rm -rf *"],
    ["echo / | xargs -I {} rm -rf {}", "block", "rm -rf *"],
    ["/bin/rm -rf /", "block", "rm -rf *"],
    ["\\rm -rf /", "block", "rm -rf *"],
    ["r'm' -rf /", "block", "rm -rf *"],
    ['"rm" "-rf" /', "block", "rm -rf *"],
    ["bash -c 'rm -rf /'", "block", "rm -rf *"],
    ["sh -ec 'rm -rf /'", "block", "rm -rf *"],
    ["su root -c 'rm -rf /'", "block", "rm -rf *"],
    ["sudo su -c 'rm -rf /'", "block", "rm -rf *"],
    ["echo 'a; rm -rf /'", "block", "rm -rf *"], // over-matching is the safe side
    ["mkfs.ext4 /dev/sda1", "block", "/^mkfs(\\.\\w+)?\\b/"],
    ["mkfs /dev/sda1", "block", "/^mkfs(\\.\\w+)?\\b/"],
    ["mkfsx /dev/sda1", "allow", undefined], // \b: the word must end there
    ["ls; mkfs /dev/sda1", "block", "/^mkfs(\\.\\w+)?\\b/"], // ^ anchors each simple command too
    ["echo mkfs", "allow", undefined], // regex anchored with ^
    ["shutdown -r now", "block", "shutdown*"],
    ["rm -rf / && Set-ADUser jdoe", "block", "rm -rf *"], // block wins over alert
    ["Set-ADUser -Identity jdoe -Enabled $false", "alert", "*Set-ADUser*"],
    ["set-aduser jdoe", "alert", "*Set-ADUser*"],
    ["passwd jdoe", "alert", "/\\bpasswd\\b/"],
    ["PASSWD jdoe", "allow", undefined], // a regex keeps case without i
    ["cat /etc/passwd.bak", "alert", "/\\bpasswd\\b/"],
    ["mypasswd", "allow", undefined],
    ["rm file.txt", "alert", "rm *"],
    ["rm", "allow", undefined], // anchored glob: `rm *` needs a space and more
    ["CURL -s http://x | BASH", "alert", "/curl.*\\|\\s*(ba)?sh/i"],
    ["ls 2>&1", "allow", undefined],
    ["", "allow", undefined],
    // A tripwire, not a sandbox: what the shell expands, we do not see.
    ['bash -c "$(echo cm0gLXJmIC8= | base64 -d)"', "allow", undefined],
    ["rm${IFS}-rf${IFS}/", "allow", undefined],
  ])("%j → %s", (command, action, rule) => {
    const verdict = evaluate(command, RULES);
    expect(verdict.action).toBe(action);
    expect(verdict.rule).toBe(rule);
    expect(verdict.deviation).toBe(false);
  });

  it("allows everything with no rules", () => {
    expect(evaluate("rm -rf /", { alert: [], block: [] })).toEqual({ action: "allow", deviation: false });
  });

  it("reports the first block rule in the group's order", () => {
    expect(evaluate("rm -rf /", { alert: [], block: ["rm *", "rm -rf *"] }).rule).toBe("rm *");
  });

  it("treats an invalid stored regex as matching nothing instead of throwing", () => {
    expect(evaluate("anything", { alert: [], block: ["/(a+)+/", "/[/"] })).toEqual({ action: "allow", deviation: false });
  });
});

describe("evaluate: planned activity", () => {
  const planned = ["systemctl restart nginx", "systemctl status *", "/^journalctl -u nginx\\b/", "nginx -t && systemctl reload nginx"];
  it.each<[string, boolean]>([
    ["systemctl restart nginx", false],
    ["SYSTEMCTL RESTART NGINX", false],
    ["sudo systemctl restart nginx", false],
    ["systemctl status nginx", false],
    ["systemctl status nginx | less", true], // `less` was not planned
    ["journalctl -u nginx --since today", false],
    ["journalctl -u sshd", true],
    ["systemctl restart nginx; systemctl status nginx", false], // every part is planned
    ["systemctl restart nginx; rm -rf /tmp/x", true],
    ["systemctl status x; rm -rf /", true], // a glob does not swallow the rest of the line
    ["systemctl status $(rm -rf /)", true],
    ["nginx -t && systemctl reload nginx", false], // a planned list matches part by part
    ["nginx -t; systemctl reload nginx", false],
    ["nginx -t && systemctl reload nginx && reboot", true],
    ["systemctl reload nginx", true], // only planned after nginx -t, as a list
    ["whoami", true],
    ["", false], // nothing seen: nothing to compare
  ])("%j → deviation %s", (command, deviation) => {
    expect(evaluate(command, { alert: [], block: [] }, planned).deviation).toBe(deviation);
  });

  it("raises no deviation without a planned list, or with an empty one", () => {
    expect(evaluate("whoami", { alert: [], block: [] }).deviation).toBe(false);
    expect(evaluate("whoami", { alert: [], block: [] }, []).deviation).toBe(false);
  });

  it("reports a deviation together with the rule's action", () => {
    expect(evaluate("rm -rf /", RULES, ["ls"])).toEqual({ action: "block", rule: "rm -rf *", deviation: true });
  });
});

describe("simpleCommands", () => {
  it.each<[string, string[]]>([
    ["ls", ["ls"]],
    ["a; b && c || d | e & f", ["a", "b", "c", "d", "e", "f"]],
    ["a\nb\r\nc", ["a", "b", "c"]],
    ["x $(y) `z`", ["x", "y", "z"]],
    ["cmd 2>&1 >/dev/null &>log", ["cmd 2>&1 >/dev/null &>log"]],
    [";;  ; ", []],
  ])("%j → %j", (command, parts) => {
    expect(simpleCommands(command)).toEqual(parts);
  });
});

describe("command patterns (saved with the group's rules)", () => {
  it.each<[string, string]>([
    ["rm -rf *", "glob"],
    ["/usr/bin/*", "glob"], // an unescaped / inside: a glob
    ["/opt/app/i", "glob"],
    ["/rm/", "regex"],
    ["/rm/i", "regex"],
    ["/a\\/b/", "regex"],
    ["/rm/g", "glob"],
  ])("%j is a %s", (pattern, kind) => {
    expect(parseCommandPattern(pattern).kind).toBe(kind);
  });

  it.each([
    ["rm -rf *"],
    ["/^rm\\s+-rf\\s+\\//"],
    ["/(?:foo|bar)+ baz/i"],
    ["/[a-z0-9_-]{1,20}\\.sh$/"],
    ["/(ab){2,3}/"],
    ["/a{2}/"],
    ["/x{/"], // a brace that is not a repeat is literal
  ])("accepts %j", (pattern) => {
    expect(commandPatternSchema.safeParse(pattern).success).toBe(true);
  });

  it.each([
    ["", /Enter a pattern/],
    ["x".repeat(201), /At most 200/],
    ["rm\u0000", /not allowed/],
    ["/(a+)+/", /repeated group/],
    ["/(a*)*b/", /repeated group/],
    ["/(?:x|y+){2}/", /repeated group/],
    ["/(a)\\1/", /not supported/],
    ["/(?=a)/", /Lookaround/],
    ["/(?<!a)b/", /Lookaround/],
    ["/[z-a]/", /backwards/],
    ["/(abc/", /not closed/],
    ["/abc)/", /Unexpected/],
    ["/[abc/", /not closed/],
    ["/*a/", /Nothing to repeat/],
    ["/a{1,500}/", /up to 100/],
    ["/a{5,2}/", /below the minimum/],
    ["/^*/", /Nothing to repeat|anchor/],
    ["/(?:a{100}){100}/", /too complex/],
  ])("refuses %j", (pattern, message) => {
    const result = commandPatternSchema.safeParse(pattern);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(message);
  });

  it("caps the lists at 100 patterns and defaults them to empty", () => {
    expect(commandRulesSchema.parse({})).toEqual({ alert: [], block: [] });
    expect(plannedActivitySchema.safeParse(Array(101).fill("ls")).success).toBe(false);
  });
});

describe("the regular-expression subset", () => {
  const test = (source: string, text: string, flags = "") => {
    const regex = compileCommandRegex(source, flags);
    if (!regex.ok) throw new Error(regex.error);
    return regex.test(text);
  };
  it.each<[string, string, boolean, string?]>([
    ["rm", "xrmx", true],
    ["^rm$", "rm", true],
    ["^rm$", "rm ", false],
    ["a.c", "abc", true],
    ["a|bc", "xbcx", true],
    ["colou?r", "color", true],
    ["ab*c", "ac", true],
    ["ab+c", "ac", false],
    ["a{2,3}$", "caaa", true],
    ["^a{2,3}$", "aaaa", false],
    ["[^0-9]+$", "abc", true],
    ["\\d\\s\\w", "1 x", true],
    ["\\bls\\b", "ls -l", true],
    ["\\bls\\b", "false", false],
    ["a\\.b", "a.b", true],
    ["a\\.b", "axb", false],
    ["[.]", "x", false],
    ["ß", "SS", false, "i"],
    ["Set-ADUser", "set-aduser", true, "i"],
    ["[A-Z]+", "abc", true, "i"],
    ["😀+", "x😀😀", true],
  ])("/%s/%s on %j → %s", (source, text, expected, flags = "") => {
    expect(test(source, text, flags)).toBe(expected);
  });

  it("refuses flags other than i", () => {
    expect(compileCommandRegex("a", "g")).toEqual({ ok: false, error: "The only flag is i (ignore case)" });
  });

  it("answers on adversarial input that a backtracking engine would take minutes over", () => {
    // V8's RegExp needs ~200 s for /.*a.*b/ on 8 KiB of "a"; the answer itself is what is checked here.
    expect(test(".*a.*b", "a".repeat(8192))).toBe(false);
    expect(test("(?:a|aa)+c", "a".repeat(8192))).toBe(false);
    expect(test(".*a.*b", `${"a".repeat(8192)}b`)).toBe(true);
  });
});
