import { matchesPattern } from "@/server/access-groups/policy/patterns";
import { compileCommandRegex } from "@/shared/sessions/command-regex";
import { type CommandRules, parseCommandPattern } from "@/shared/sessions/rules-schema";

/*
 * Checks a reconstructed command against an access group's rules and a request's planned activity.
 * Pure: the gateway calls `evaluate` on every command before forwarding its Enter.
 *
 * A command is matched as a whole (trimmed) and as each simple command inside it, split on `;`,
 * `&&`, `||`, `|`, `&`, line breaks, `$(`, `(`, `)` and backticks, so `ls; rm -rf /` hits a
 * `rm -rf *` rule. Each part is also tried with blanks collapsed, with quotes and backslashes
 * removed (`r'm' -rf /`), and without the wrappers that run another command (`sudo -u root`,
 * `env A=1`, `nohup`, `xargs`, `timeout 5`, `bash -c`, `su -c`, `then`, `!`, a path such as
 * `/bin/rm`). The split ignores quoting, so `echo "a; rm -rf /"` hits too: over-matching is the
 * safe side for a tripwire.
 *
 * It is a tripwire, not a sandbox: the shell sees what we cannot. `bash -c "$(echo cm0gLXJmIC8= |
 * base64 -d)"`, variables (`$X -rf /`, `rm${IFS}-rf`), aliases and functions, globbing (`/bin/r?`),
 * `$'\x72m'`, scripts, here-documents, eval and any interpreter (python -c) all evade it. Blocking
 * stops the honest mistake and raises the cost of the dishonest act; the recording remains the proof.
 */

export type Verdict = {
  action: "allow" | "alert" | "block";
  /** The pattern that decided the action (the first block rule that matched, else the first alert rule). */
  rule?: string;
  /** A planned activity was given and the command (or a part of it) matches none of it. */
  deviation: boolean;
};

type Matcher = (text: string) => boolean;

// Patterns are compiled once: a session checks every command against the same few dozen.
const compiled = new Map<string, Matcher>();
const MAX_COMPILED = 1000;

function matcherOf(pattern: string): Matcher {
  let matcher = compiled.get(pattern);
  if (matcher) return matcher;
  const parsed = parseCommandPattern(pattern);
  if (parsed.kind === "glob") {
    const glob = collapse(parsed.glob);
    matcher = (text) => matchesPattern(glob, text);
  } else {
    const regex = compileCommandRegex(parsed.source, parsed.flags);
    // Saved rules were validated; one that no longer compiles matches nothing rather than throwing mid-session.
    matcher = regex.ok ? regex.test : () => false;
  }
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(pattern, matcher);
  return matcher;
}

const collapse = (text: string) => text.replace(/\s+/g, " ").trim();

/** `;` `&&` `||` `|` line breaks `$(` `(` `)` backticks, and `&` unless part of a redirection (`2>&1`, `&>`). */
const SEPARATORS = /;|&&|\|\||\||\n|\r|\$\(|\(|\)|`|(?<![<>])&(?!>)/;

export function simpleCommands(command: string): string[] {
  return command
    .split(SEPARATORS)
    .map(collapse)
    .filter((part) => part !== "");
}

const KEYWORDS = new Set(["if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "time"]);
const PREFIXES = new Set(["command", "builtin", "exec", "nohup", "setsid", "stdbuf", "nice", "ionice"]);
const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "su"]);
/** Wrappers whose options take a value (`sudo -u root`): that value is not the command either. */
const OPTIONS_WITH_VALUE: Record<string, Set<string>> = {
  sudo: new Set(["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T"]),
  doas: new Set(["-u", "-C"]),
  env: new Set(["-u", "-C", "-S"]),
  xargs: new Set(["-I", "-n", "-P", "-d", "-L", "-s", "-a", "-E"]),
  timeout: new Set(["-s", "-k"]),
  nice: new Set(["-n"]),
  ionice: new Set(["-c", "-n", "-p"]),
};

const basename = (word: string) => word.slice(word.lastIndexOf("/") + 1);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Drops `sudo -u x`, `env A=1`, `bash -c` and the like from the front of a simple command's words. */
function unwrap(words: string[]): string[] {
  let rest = words;
  for (let round = 0; round < 8 && rest.length > 0; round++) {
    const head = basename(rest[0]!);
    if (ASSIGNMENT.test(rest[0]!) || KEYWORDS.has(head)) {
      rest = rest.slice(1);
      continue;
    }
    if (SHELLS.has(head)) {
      // `bash -c 'cmd'`, `su root -c 'cmd'`, `bash -lc 'cmd'`: the command follows -c.
      const c = rest.findIndex((w, i) => i > 0 && /^-[A-Za-z]*c$/.test(w));
      if (c === -1 && head === "su") break;
      rest = c === -1 ? skipOptions(rest.slice(1), new Set()) : rest.slice(c + 1);
      continue;
    }
    const withValue = OPTIONS_WITH_VALUE[head];
    if (!withValue && !PREFIXES.has(head) && head !== "timeout") break;
    rest = skipOptions(rest.slice(1), withValue ?? new Set());
    while ((head === "env" || head === "sudo") && rest.length > 0 && ASSIGNMENT.test(rest[0]!)) rest = rest.slice(1);
    if (head === "timeout") rest = rest.slice(1); // the duration
  }
  return rest.length > 0 ? [basename(rest[0]!), ...rest.slice(1)] : rest;
}

function skipOptions(words: string[], withValue: Set<string>): string[] {
  let i = 0;
  while (i < words.length && words[i]!.startsWith("-")) {
    if (words[i] === "--") return words.slice(i + 1);
    i += withValue.has(words[i]!) ? 2 : 1;
  }
  return words.slice(i);
}

/** The spellings of one simple command that rules are tried on. */
function variants(part: string): string[] {
  const unquoted = collapse(part.replace(/['"\\]/g, ""));
  const unwrapped = unwrap(unquoted.split(" ")).join(" ");
  return [...new Set([part, unquoted, unwrapped].filter((v) => v !== ""))];
}

function firstMatch(patterns: readonly string[], texts: readonly string[]): string | undefined {
  return patterns.find((pattern) => {
    const matches = matcherOf(pattern);
    return texts.some((text) => matches(text));
  });
}

/**
 * Planned when every simple command matches a planned pattern, or when a planned glob that is itself
 * a list or pipeline (`systemctl stop x && systemctl start x`) matches it part by part. Matching the
 * whole line against one glob is not enough: `systemctl *` would then cover `systemctl x; rm -rf /`.
 */
function isPlanned(parts: readonly string[], planned: readonly string[]): boolean {
  if (parts.every((part) => firstMatch(planned, variants(part)) !== undefined)) return true;
  return planned.some((pattern) => {
    if (parseCommandPattern(pattern).kind !== "glob") return false;
    const pieces = simpleCommands(pattern);
    return pieces.length === parts.length && pieces.every((piece, i) => variants(parts[i]!).some((v) => matcherOf(piece)(v)));
  });
}

/**
 * The verdict on one command: block wins over alert; `deviation` only when `planned` is non-empty.
 * An uncertain command is judged on what was seen; an empty one (seen nothing) is allowed and planned.
 */
export function evaluate(command: string, rules: CommandRules, planned?: readonly string[]): Verdict {
  const whole = collapse(command);
  const parts = simpleCommands(command);
  const texts = [...new Set([whole, ...parts.flatMap(variants)])].filter((t) => t !== "");
  const deviation = planned !== undefined && planned.length > 0 && parts.length > 0 && !isPlanned(parts, planned);
  const blocked = firstMatch(rules.block, texts);
  if (blocked !== undefined) return { action: "block", rule: blocked, deviation };
  const alerted = firstMatch(rules.alert, texts);
  if (alerted !== undefined) return { action: "alert", rule: alerted, deviation };
  return { action: "allow", deviation };
}
