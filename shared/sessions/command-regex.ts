/*
 * The regular expressions of command rules, matched in linear time. A person in a session controls
 * the text (up to 8 KiB a line), and a backtracking engine takes minutes on `/.*a.*b/` against 8 KiB
 * of "a" (measured here: 207 s in V8), stalling every session on the gateway. So the rules never go
 * through RegExp: a small subset of its syntax is compiled to an NFA and simulated Thompson-style,
 * O(text × pattern) with no backtracking.
 *
 * Supported: literals, `.`, `[…]`/`[^…]` with ranges, `\d \w \s \D \W \S \b \t`, any escaped
 * punctuation, `^ $`, `(…)` and `(?:…)`, `|`, `* + ?` (a lazy `?` after them is accepted: it changes
 * nothing for a yes/no match), `{n} {n,} {n,m}` up to 100, and the `i` flag. Refused: backreferences,
 * lookaround, other escapes, and a repeated group that itself holds an unbounded quantifier
 * (`(a+)+`): harmless here, but such a pattern is catastrophic anywhere else it may be reused.
 */

type Node =
  | { kind: "char"; test: (ch: string) => boolean }
  | { kind: "start" | "end" | "boundary" }
  | { kind: "seq"; items: Node[] }
  | { kind: "alt"; options: Node[] }
  | { kind: "repeat"; node: Node; min: number; max: number };

type Instruction =
  | { op: "char"; test: (ch: string) => boolean }
  | { op: "split"; to: [number, number] }
  | { op: "jump"; to: number }
  | { op: "assert"; what: "start" | "end" | "boundary" }
  | { op: "match" };

const MAX_REPEAT = 100;
const MAX_INSTRUCTIONS = 2000;

class PatternError extends Error {}

const isWord = (ch: string | undefined) => ch !== undefined && /[A-Za-z0-9_]/.test(ch);
const CLASS_ESCAPES: Record<string, (ch: string) => boolean> = {
  d: (ch) => ch >= "0" && ch <= "9",
  D: (ch) => !(ch >= "0" && ch <= "9"),
  w: (ch) => isWord(ch),
  W: (ch) => !isWord(ch),
  s: (ch) => /\s/.test(ch),
  S: (ch) => !/\s/.test(ch),
};
const CHAR_ESCAPES: Record<string, string> = { t: "\t", n: "\n", r: "\r" };

class Parser {
  private readonly chars: string[];
  private i = 0;

  constructor(
    source: string,
    private readonly ignoreCase: boolean,
  ) {
    this.chars = Array.from(source);
  }

  parse(): Node {
    const node = this.alternation();
    if (this.i < this.chars.length) throw new PatternError(`Unexpected "${this.chars[this.i]}" (escape it as \\${this.chars[this.i]})`);
    return node;
  }

  private peek(): string | undefined {
    return this.chars[this.i];
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.peek() === "|") {
      this.i++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0]! : { kind: "alt", options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    for (let ch = this.peek(); ch !== undefined && ch !== "|" && ch !== ")"; ch = this.peek()) {
      items.push(this.quantified(this.atom()));
    }
    return { kind: "seq", items };
  }

  private atom(): Node {
    const ch = this.chars[this.i++]!;
    switch (ch) {
      case "(": {
        if (this.peek() === "?") {
          if (this.chars[this.i + 1] !== ":") throw new PatternError("Lookaround and named groups are not supported: use (?:…)");
          this.i += 2;
        }
        const inner = this.alternation();
        if (this.chars[this.i++] !== ")") throw new PatternError("A group is not closed: add )");
        return inner;
      }
      case "[":
        return this.charClass();
      case ".":
        return { kind: "char", test: () => true };
      case "^":
        return { kind: "start" };
      case "$":
        return { kind: "end" };
      case "*":
      case "+":
      case "?":
        throw new PatternError(`Nothing to repeat before "${ch}"`);
      case "\\":
        return this.escape(false);
      default:
        return this.literal(ch);
    }
  }

  private literal(ch: string): Node {
    if (!this.ignoreCase) return { kind: "char", test: (x) => x === ch };
    const lower = ch.toLowerCase();
    return { kind: "char", test: (x) => x.toLowerCase() === lower };
  }

  /** After a backslash. In a class, `\b` is not a boundary: refuse it rather than guess. */
  private escape(inClass: boolean): Node {
    const ch = this.chars[this.i++];
    if (ch === undefined) throw new PatternError("The pattern ends with a lone \\");
    const cls = CLASS_ESCAPES[ch];
    if (cls) return { kind: "char", test: cls };
    if (ch === "b" && !inClass) return { kind: "boundary" };
    if (CHAR_ESCAPES[ch]) return this.literal(CHAR_ESCAPES[ch]);
    if (/[\p{L}\p{N}]/u.test(ch)) throw new PatternError(`\\${ch} is not supported (backreferences and most escapes are not)`);
    return this.literal(ch);
  }

  private charClass(): Node {
    const negated = this.peek() === "^";
    if (negated) this.i++;
    const tests: ((ch: string) => boolean)[] = [];
    let first = true;
    for (;;) {
      const ch = this.chars[this.i++];
      if (ch === undefined) throw new PatternError("A character class is not closed: add ]");
      if (ch === "]" && !first) break;
      first = false;
      if (ch === "\\") {
        const escaped = this.escape(true) as { kind: "char"; test: (ch: string) => boolean };
        tests.push(escaped.test);
        continue;
      }
      if (this.peek() === "-" && this.chars[this.i + 1] !== undefined && this.chars[this.i + 1] !== "]") {
        const to = this.chars[this.i + 1]!;
        if (to === "\\") throw new PatternError("Write a range's end without a backslash");
        if (to < ch) throw new PatternError(`The range ${ch}-${to} is backwards`);
        this.i += 2;
        tests.push((x) => x >= ch && x <= to);
        continue;
      }
      tests.push((x) => x === ch);
    }
    const inClass = (x: string) => tests.some((t) => t(x));
    const folded = this.ignoreCase ? (x: string) => inClass(x) || inClass(x.toLowerCase()) || inClass(x.toUpperCase()) : inClass;
    return { kind: "char", test: negated ? (x) => !folded(x) : folded };
  }

  private quantified(node: Node): Node {
    const ch = this.peek();
    let min: number;
    let max: number;
    if (ch === "*" || ch === "+" || ch === "?") {
      this.i++;
      [min, max] = ch === "*" ? [0, Infinity] : ch === "+" ? [1, Infinity] : [0, 1];
    } else if (ch === "{") {
      const rest = this.chars.slice(this.i).join("");
      const m = /^\{(\d{1,3})(,(\d{0,3}))?\}/.exec(rest);
      if (!m) return node; // a brace that is not a quantifier is a literal, as in JavaScript
      this.i += Array.from(m[0]).length;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
      if (max < min) throw new PatternError(`{${min},${max}}: the maximum is below the minimum`);
      if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) throw new PatternError(`Repeat counts go up to ${MAX_REPEAT}`);
    } else {
      return node;
    }
    if (this.peek() === "?") this.i++;
    if (node.kind === "start" || node.kind === "end" || node.kind === "boundary") throw new PatternError("An anchor cannot be repeated");
    if (max > 1 && hasUnbounded(node)) throw new PatternError("A repeated group cannot hold * + or {n,} itself (like (a+)+)");
    return { kind: "repeat", node, min, max };
  }
}

function hasUnbounded(node: Node): boolean {
  switch (node.kind) {
    case "repeat":
      return node.max === Infinity || hasUnbounded(node.node);
    case "seq":
      return node.items.some(hasUnbounded);
    case "alt":
      return node.options.some(hasUnbounded);
    default:
      return false;
  }
}

function compile(root: Node): Instruction[] {
  const program: Instruction[] = [];
  const emit = (instruction: Instruction) => {
    if (program.length >= MAX_INSTRUCTIONS) throw new PatternError("The pattern is too complex: use fewer or smaller repeats");
    program.push(instruction);
    return program.length - 1;
  };
  const gen = (node: Node): void => {
    switch (node.kind) {
      case "char":
        emit({ op: "char", test: node.test });
        return;
      case "start":
      case "end":
      case "boundary":
        emit({ op: "assert", what: node.kind });
        return;
      case "seq":
        node.items.forEach(gen);
        return;
      case "alt": {
        const jumps: number[] = [];
        node.options.forEach((option, index) => {
          if (index === node.options.length - 1) return gen(option);
          const split = emit({ op: "split", to: [0, 0] });
          gen(option);
          jumps.push(emit({ op: "jump", to: 0 }));
          program[split] = { op: "split", to: [split + 1, program.length] };
        });
        for (const j of jumps) program[j] = { op: "jump", to: program.length };
        return;
      }
      case "repeat": {
        for (let n = 0; n < node.min; n++) gen(node.node);
        if (node.max === Infinity) {
          const split = emit({ op: "split", to: [0, 0] });
          gen(node.node);
          emit({ op: "jump", to: split });
          program[split] = { op: "split", to: [split + 1, program.length] };
          return;
        }
        const splits: number[] = [];
        for (let n = node.min; n < node.max; n++) {
          splits.push(emit({ op: "split", to: [0, 0] }));
          gen(node.node);
        }
        for (const s of splits) program[s] = { op: "split", to: [s + 1, program.length] };
      }
    }
  };
  gen(root);
  emit({ op: "match" });
  return program;
}

/** Does the program match anywhere in `text`? One pass over the text, each state at most once per position. */
function run(program: Instruction[], text: string): boolean {
  const chars = Array.from(text);
  const seen = new Int32Array(program.length).fill(-1);
  let current: number[] = [];
  let next: number[] = [];
  // Follows jumps, splits and assertions from `pc` at position `at`; true if it reaches the match.
  const add = (list: number[], pc: number, at: number): boolean => {
    if (seen[pc] === at) return false;
    seen[pc] = at;
    const ins = program[pc]!;
    switch (ins.op) {
      case "match":
        return true;
      case "jump":
        return add(list, ins.to, at);
      case "split":
        return add(list, ins.to[0], at) || add(list, ins.to[1], at);
      case "assert": {
        const ok = ins.what === "start" ? at === 0 : ins.what === "end" ? at === chars.length : isWord(chars[at - 1]) !== isWord(chars[at]);
        return ok && add(list, pc + 1, at);
      }
      case "char":
        list.push(pc);
        return false;
    }
  };
  for (let at = 0; at <= chars.length; at++) {
    // Unanchored search: a new attempt starts at every position.
    if (add(current, 0, at)) return true;
    if (at === chars.length) break;
    const ch = chars[at]!;
    for (const pc of current) {
      const ins = program[pc] as { op: "char"; test: (ch: string) => boolean };
      if (ins.test(ch) && add(next, pc + 1, at + 1)) return true;
    }
    [current, next] = [next, []];
  }
  return false;
}

export type CommandRegex = { ok: true; test: (text: string) => boolean } | { ok: false; error: string };

/** Compiles `source` (the text between the slashes) with `flags` ("" or "i"). */
export function compileCommandRegex(source: string, flags: string): CommandRegex {
  if (flags !== "" && flags !== "i") return { ok: false, error: "The only flag is i (ignore case)" };
  try {
    const program = compile(new Parser(source, flags === "i").parse());
    return { ok: true, test: (text) => run(program, text) };
  } catch (error) {
    if (error instanceof PatternError) return { ok: false, error: error.message };
    throw error;
  }
}
