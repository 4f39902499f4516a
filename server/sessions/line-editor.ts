/*
 * Reconstructs the commands a person types from the keystrokes the gateway forwards, by playing a
 * small model of readline's emacs mode (bash's default): printable text, Enter, Backspace, the
 * kill keys, cursor motion, Ctrl-C, bracketed paste. Pure: bytes in, commands out.
 *
 * It is an audit aid, not the shell's own buffer. Whatever the shell does that we cannot see from
 * the keystrokes alone marks the line `uncertain` instead of being guessed silently: completion
 * (Tab), history (arrows, Ctrl-R/P/N/O), yank, readline commands we do not model, and escape
 * sequences we do not know (readline inserts the tail of an unknown sequence as text, so ignoring
 * one quietly could hide characters the shell did receive). Not modelled at all: vi mode, aliases,
 * full-screen programs (keys typed in vim come out as "commands"), and what the shell expands.
 * A line typed at a password prompt is a command like any other: input is sensitive.
 */

export type Command = {
  text: string;
  /** When Enter was pressed (the `at` of the feed that carried it; the caller's clock and unit). */
  at: number;
  /** The shell may hold something other than `text` (completion, history, unknown keys, truncation). */
  uncertain: boolean;
};

/** Longest line kept, in UTF-8 bytes; what is typed beyond it is dropped and the line marked uncertain. */
export const MAX_LINE_BYTES = 8192;

const ESC = "\u001b";
const PASTE_END = `${ESC}[201~`;
/** Longest CSI parameter string kept: the sequence is still consumed to its final byte after that. */
const MAX_PARAMS = 16;

type State = "ground" | "escape" | "csi" | "ss3" | "quoted" | "paste";

const isWordChar = (ch: string) => /[\p{L}\p{N}]/u.test(ch);
const isSpace = (ch: string) => ch === " " || ch === "\t";
const utf8Length = (ch: string) => {
  const cp = ch.codePointAt(0)!;
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
};

/** An `exec` request carries its command whole: recorded exactly as sent. */
export function execCommand(cmd: string, at: number): Command {
  return { text: cmd, at, uncertain: false };
}

export class LineEditor {
  private readonly decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  /** The line as code points, so that the cursor never splits a character. */
  private line: string[] = [];
  private cursor = 0;
  private bytes = 0;
  private uncertain = false;
  private killed = "";
  private state: State = "ground";
  private params = "";
  /** The part of PASTE_END seen so far inside a paste. */
  private pasteTail = "";
  private commands: Command[] = [];
  private at = 0;

  /** Feeds keystrokes as they arrive; returns the commands whose Enter is in `data`. */
  feed(data: Uint8Array, at: number): Command[] {
    this.at = at;
    this.commands = [];
    for (const ch of this.decoder.decode(data, { stream: true })) this.take(ch);
    return this.commands;
  }

  /** Abandons the current line, as Ctrl-C does (the gateway calls it after refusing a line). */
  reset(): void {
    this.clear(false);
    this.state = "ground";
    this.pasteTail = "";
  }

  private take(ch: string): void {
    switch (this.state) {
      case "ground":
        return this.ground(ch);
      case "escape":
        return this.escape(ch);
      case "csi":
        return this.csi(ch);
      case "ss3":
        return this.ss3(ch);
      case "quoted":
        this.state = "ground";
        return this.literal(ch);
      case "paste":
        return this.paste(ch);
    }
  }

  private ground(ch: string): void {
    const code = ch.codePointAt(0)!;
    if (code >= 0x20 && code !== 0x7f) return this.insert(ch);
    switch (ch) {
      case ESC:
        this.state = "escape";
        return;
      // The \n of a \r\n ends an empty line, which is no command: no need to pair them.
      case "\r":
      case "\n":
        return this.enter();
      case "\u007f":
      case "\b":
        return this.backspace();
      case "\u0001":
        this.cursor = 0;
        return;
      case "\u0005":
        this.cursor = this.line.length;
        return;
      case "\u0002":
        return this.move(-1);
      case "\u0006":
        return this.move(1);
      case "\u0003":
        return this.clear(false);
      case "\u0004":
        // EOF on an empty line (the shell exits); delete-char otherwise.
        if (this.line.length > 0) this.deleteAt(this.cursor);
        return;
      case "\u000b":
        return this.kill(this.cursor, this.line.length);
      case "\u0015":
        return this.kill(0, this.cursor);
      case "\u0017":
        return this.kill(
          this.wordStart((c) => !isSpace(c)),
          this.cursor,
        );
      case "\u0014":
        return this.transpose();
      case "\u0016":
        this.state = "quoted";
        return;
      case "\u0019":
        // Readline's kill ring also holds earlier lines' kills and appends consecutive ones.
        this.uncertain = true;
        for (const c of this.killed) this.insert(c);
        return;
      case "\u000f":
        // Runs the line and recalls the next one from history: that one starts uncertain.
        this.enter();
        this.uncertain = true;
        return;
      case "\t": // completion
      case "\u0010": // previous history
      case "\u000e": // next history
      case "\u0012": // reverse search
      case "\u0013": // forward search (or XOFF)
      case "\u0018": // Ctrl-X prefix: Ctrl-X Ctrl-E runs an editor's buffer, Ctrl-X Ctrl-U undoes…
      case "\u001f": // undo
      case "\u001d": // character search
        this.uncertain = true;
        return;
      default:
        // NUL (set-mark), Ctrl-L (clear screen), Ctrl-G, Ctrl-Z, Ctrl-\, Ctrl-^: nothing to the line.
        return;
    }
  }

  private escape(ch: string): void {
    this.state = "ground";
    switch (ch) {
      case "[":
        this.state = "csi";
        this.params = "";
        return;
      case "O":
        this.state = "ss3";
        return;
      case "b":
      case "B":
        this.cursor = this.wordStart(isWordChar);
        return;
      case "f":
      case "F":
        this.cursor = this.wordEnd();
        return;
      case "d":
      case "D":
        return this.kill(this.cursor, this.wordEnd());
      case "\u007f":
      case "\b":
        return this.kill(this.wordStart(isWordChar), this.cursor);
    }
    this.uncertain = true;
    // A control character after ESC is a key of its own (ESC then Enter is still an Enter here).
    if (ch.codePointAt(0)! < 0x20) this.ground(ch);
  }

  private csi(ch: string): void {
    const code = ch.codePointAt(0)!;
    if (code >= 0x20 && code <= 0x3f) {
      if (this.params.length < MAX_PARAMS) this.params += ch;
      else this.uncertain = true;
      return;
    }
    this.state = "ground";
    if (code >= 0x40 && code <= 0x7e) return this.sequence(this.params, ch);
    // Not a CSI sequence after all: the shell's view of it is anyone's guess.
    this.uncertain = true;
    this.ground(ch);
  }

  private ss3(ch: string): void {
    this.state = "ground";
    if (ch.codePointAt(0)! < 0x20) {
      this.uncertain = true;
      return this.ground(ch);
    }
    this.sequence("", ch);
  }

  /** A CSI or SS3 key: `params` such as "1;5" (Ctrl held) and the final character. */
  private sequence(params: string, final: string): void {
    const [first = "", modifier = ""] = params.split(";");
    const plain = /^1?$/.test(first) && /^\d*$/.test(modifier) && !params.includes("?");
    // Ctrl (5) or Alt (3) with an arrow moves by word, as Debian's /etc/inputrc binds them.
    const byWord = modifier === "5" || modifier === "3";
    if (plain && final === "C") return void (this.cursor = byWord ? this.wordEnd() : Math.min(this.cursor + 1, this.line.length));
    if (plain && final === "D") return void (this.cursor = byWord ? this.wordStart(isWordChar) : Math.max(this.cursor - 1, 0));
    if (plain && final === "H") return void (this.cursor = 0);
    if (plain && final === "F") return void (this.cursor = this.line.length);
    if (final === "~" && /^\d+$/.test(first) && /^\d*$/.test(modifier)) {
      if (first === "200" && modifier === "") {
        this.state = "paste";
        this.pasteTail = "";
        return;
      }
      if (first === "1" || first === "7") return void (this.cursor = 0);
      if (first === "4" || first === "8") return void (this.cursor = this.line.length);
      if (first === "3") return this.deleteAt(this.cursor);
      if (first === "201") return; // the end of a paste we were not in: nothing to undo
    }
    // Up/Down (history), Shift-Tab, Insert (quoted-insert in Debian's inputrc), PgUp/PgDn, F-keys…
    this.uncertain = true;
  }

  /** Inside ESC[200~ … ESC[201~ everything is literal text, except that a line break still ends the line. */
  private paste(ch: string): void {
    const tail = this.pasteTail + ch;
    if (PASTE_END.startsWith(tail)) {
      this.pasteTail = tail === PASTE_END ? "" : tail;
      if (tail === PASTE_END) this.state = "ground";
      return;
    }
    // What looked like the start of the end marker was text after all.
    for (const c of this.pasteTail) this.literal(c);
    this.pasteTail = "";
    if (ch === ESC) return void (this.pasteTail = ch);
    if (ch === "\r" || ch === "\n") return this.enter();
    this.literal(ch);
  }

  /** Text the shell takes as is, control characters included (a quoted insert, a paste). */
  private literal(ch: string): void {
    // Postgres refuses NUL in text; a NUL cannot be part of a shell command anyway.
    if (ch === "\u0000") return void (this.uncertain = true);
    this.insert(ch);
  }

  private insert(ch: string): void {
    const size = utf8Length(ch);
    // U+FFFD stands for bytes that were not UTF-8: the shell holds those bytes, not this character.
    if (ch === "\uFFFD") this.uncertain = true;
    if (this.bytes + size > MAX_LINE_BYTES) return void (this.uncertain = true);
    this.line.splice(this.cursor++, 0, ch);
    this.bytes += size;
  }

  private enter(): void {
    const text = this.line.join("").trim();
    // An uncertain line that looks empty may be one recalled from history: the shell runs something.
    if (text !== "" || this.uncertain) this.commands.push({ text, at: this.at, uncertain: this.uncertain });
    this.clear(false);
  }

  private clear(uncertain: boolean): void {
    this.line = [];
    this.cursor = 0;
    this.bytes = 0;
    this.uncertain = uncertain;
  }

  private backspace(): void {
    if (this.cursor > 0) this.remove(this.cursor - 1, this.cursor);
  }

  private deleteAt(index: number): void {
    if (index < this.line.length) this.remove(index, index + 1);
  }

  private kill(from: number, to: number): void {
    if (to <= from) return;
    this.killed = this.line.slice(from, to).join("");
    this.remove(from, to);
  }

  private remove(from: number, to: number): void {
    const removed = this.line.splice(from, to - from);
    for (const c of removed) this.bytes -= utf8Length(c);
    if (this.cursor > to) this.cursor -= to - from;
    else if (this.cursor > from) this.cursor = from;
  }

  private move(by: number): void {
    this.cursor = Math.max(0, Math.min(this.line.length, this.cursor + by));
  }

  /** Start of the word before the cursor: skip what is not a word, then the word itself. */
  private wordStart(inWord: (ch: string) => boolean): number {
    let i = this.cursor;
    while (i > 0 && !inWord(this.line[i - 1]!)) i--;
    while (i > 0 && inWord(this.line[i - 1]!)) i--;
    return i;
  }

  /** End of the word after the cursor (readline's forward-word: letters and digits). */
  private wordEnd(): number {
    let i = this.cursor;
    while (i < this.line.length && !isWordChar(this.line[i]!)) i++;
    while (i < this.line.length && isWordChar(this.line[i]!)) i++;
    return i;
  }

  /** Ctrl-T: swaps the two characters around the cursor (the last two at the end of the line). */
  private transpose(): void {
    if (this.cursor === 0 || this.line.length < 2) return;
    if (this.cursor === this.line.length) this.cursor--;
    const before = this.line[this.cursor - 1]!;
    this.line[this.cursor - 1] = this.line[this.cursor]!;
    this.line[this.cursor] = before;
    this.cursor++;
  }
}
