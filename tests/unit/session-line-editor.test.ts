import { describe, expect, it } from "vitest";
import { LineEditor, MAX_LINE_BYTES, execCommand } from "@/server/sessions/line-editor";

/** A feed is a string (sent as UTF-8) or raw bytes; each is one `feed` call, at 100 × its index. */
type Feed = string | number[];

function typed(feeds: Feed[]) {
  const editor = new LineEditor();
  return feeds.flatMap((feed, i) => editor.feed(typeof feed === "string" ? Buffer.from(feed) : Buffer.from(feed), i * 100));
}

const sure = (text: string) => [text, false] as const;
const unsure = (text: string) => [text, true] as const;

const ESC = "\u001b";
const LEFT = `${ESC}[D`;
const RIGHT = `${ESC}[C`;
const PASTE = (text: string) => `${ESC}[200~${text}${ESC}[201~`;

describe("LineEditor", () => {
  it.each<[string, Feed[], (readonly [string, boolean])[]]>([
    // Enter
    ["a line ended by CR", ["ls -la\r"], [sure("ls -la")]],
    ["a line ended by LF", ["ls -la\n"], [sure("ls -la")]],
    ["CR LF: the LF ends an empty line, no second command", ["ls\r\n"], [sure("ls")]],
    ["CR LF split across feeds counts once", ["ls\r", "\npwd\r"], [sure("ls"), sure("pwd")]],
    ["LF CR is two Enters (the second on an empty line)", ["ls\n\rpwd\r"], [sure("ls"), sure("pwd")]],
    ["two CRs: the second is an empty line", ["ls\r\rpwd\n"], [sure("ls"), sure("pwd")]],
    ["several lines in one feed", ["id\rwhoami\rhostname\r"], [sure("id"), sure("whoami"), sure("hostname")]],
    ["one character per feed", [..."uname -a\r"], [sure("uname -a")]],
    ["an empty line is no command", ["\r"], []],
    ["an empty line after Ctrl-C is no command", ["ls\u0003\r"], []],
    ["a whitespace-only line is no command", ["   \r"], []],
    ["Tab on an empty line may complete something: an empty uncertain command", ["\t\r"], [unsure("")]],
    ["surrounding blanks are trimmed", ["  ls  \r"], [sure("ls")]],
    ["no Enter, no command", ["rm -rf /"], []],
    // UTF-8
    ["multi-byte text", ["echo héllo → 😀\r"], [sure("echo héllo → 😀")]],
    [
      "a character split across feeds",
      [
        [0x65, 0x63, 0x68, 0x6f, 0x20, 0xc3],
        [0xa9, 0x0d],
      ],
      [sure("echo é")],
    ],
    ["an emoji split into four feeds", [[0xf0], [0x9f], [0x98], [0x80, 0x0d]], [sure("😀")]],
    ["invalid bytes are uncertain", [[0x6c, 0xff, 0x73, 0x0d]], [unsure("l\uFFFDs")]],
    // Backspace and Delete
    ["DEL erases before the cursor", ["lss\u007f\r"], [sure("ls")]],
    ["BS erases before the cursor", ["lss\b\r"], [sure("ls")]],
    ["Backspace erases a whole multi-byte character", ["é€\u007f\r"], [sure("é")]],
    ["Backspace at the start does nothing", ["\u007f\u007fls\r"], [sure("ls")]],
    ["Backspace inside the line", [`lxs${LEFT}\u007f\r`], [sure("ls")]],
    ["Delete (ESC[3~) erases under the cursor", [`lxs${LEFT}${LEFT}${ESC}[3~\r`], [sure("ls")]],
    ["Delete at the end does nothing", [`ls${ESC}[3~\r`], [sure("ls")]],
    ["erasing everything leaves no command", ["ab\u007f\u007f\r"], []],
    // Kill keys
    ["Ctrl-U kills to the start", ["rm -rf /\u0015ls\r"], [sure("ls")]],
    ["Ctrl-U keeps what is after the cursor", [`xx ls${LEFT}${LEFT}\u0015\r`], [sure("ls")]],
    ["Ctrl-K kills to the end", [`ls; rm -rf /\u0001${RIGHT}${RIGHT}\u000b\r`], [sure("ls")]],
    ["Ctrl-W deletes the previous word", ["ls /etc/passwd\u0017/tmp\r"], [sure("ls /tmp")]],
    ["Ctrl-W skips blanks before the word", ["echo one two   \u0017\r"], [sure("echo one")]],
    ["Ctrl-W treats punctuation as part of the word", ["cat a/b-c.d\u0017x\r"], [sure("cat x")]],
    ["Alt-Backspace deletes a word of letters and digits only", ["cat a/b-cd\u001b\u007f\r"], [sure("cat a/b-")]],
    ["Alt-d kills the next word", [`rm -rf /tmp${ESC}b${ESC}b${ESC}d\r`], [sure("rm - /tmp")]],
    ["Ctrl-Y yanks the last kill (uncertain: readline's ring)", ["rm -rf /\u0015echo \u0019\r"], [unsure("echo rm -rf /")]],
    // Cursor motion
    ["Ctrl-A then typing inserts at the start", ["ls\u0001sudo \r"], [sure("sudo ls")]],
    ["Ctrl-E returns to the end", ["ls\u0001x\u0005y\r"], [sure("xlsy")]],
    ["Home ESC[H", [`ls${ESC}[Hx\r`], [sure("xls")]],
    ["End ESC[F", [`ls${ESC}[Hx${ESC}[Fy\r`], [sure("xlsy")]],
    ["Home ESC OH", [`ls${ESC}OHx\r`], [sure("xls")]],
    ["End ESC OF", [`ls${ESC}OHx${ESC}OFy\r`], [sure("xlsy")]],
    ["Home ESC[1~ and End ESC[4~", [`ls${ESC}[1~x${ESC}[4~y\r`], [sure("xlsy")]],
    ["Home ESC[7~ and End ESC[8~", [`ls${ESC}[7~x${ESC}[8~y\r`], [sure("xlsy")]],
    ["Left and Right", [`ac${LEFT}b${RIGHT}d\r`], [sure("abcd")]],
    ["SS3 Left and Right (application mode)", [`ac${ESC}ODb${ESC}OCd\r`], [sure("abcd")]],
    ["Ctrl-B and Ctrl-F", ["ac\u0002b\u0006d\r"], [sure("abcd")]],
    ["Left stops at the start, Right at the end", [`b${LEFT}${LEFT}${LEFT}a${RIGHT}${RIGHT}${RIGHT}c\r`], [sure("abc")]],
    ["Left moves over a whole emoji", [`a😀${LEFT}b\r`], [sure("ab😀")]],
    ["Ctrl-Left moves by word", [`echo one two${ESC}[1;5Dx\r`], [sure("echo one xtwo")]],
    ["Alt-Right moves by word", [`echo one two\u0001${ESC}[1;3Cx\r`], [sure("echox one two")]],
    ["Alt-b and Alt-f", [`one two${ESC}b${ESC}bx${ESC}fy\r`], [sure("xoney two")]],
    ["Ctrl-T swaps the characters around the cursor", [`sl${LEFT}\u0014\r`], [sure("ls")]],
    ["Ctrl-T at the end swaps the last two", ["sl\u0014\r"], [sure("ls")]],
    ["Ctrl-V inserts the next key literally", ["echo \u0016\u0001\r"], [sure("echo \u0001")]],
    // Abandoned lines
    ["Ctrl-C abandons the line", ["rm -rf /\u0003ls\r"], [sure("ls")]],
    ["Ctrl-C clears uncertainty with the line", ["rm\t\u0003ls\r"], [sure("ls")]],
    ["Ctrl-D on an empty line is no command", ["\u0004"], []],
    ["Ctrl-D inside a line deletes under the cursor", [`lxs${LEFT}${LEFT}\u0004\r`], [sure("ls")]],
    // What the shell may change without us seeing it
    ["Tab marks the line uncertain", ["systemctl rest\tnginx\r"], [unsure("systemctl restnginx")]],
    ["Up arrow then Enter runs something unseen: an empty uncertain command", [`${ESC}[A\r`], [unsure("")]],
    ["Up arrow then editing is uncertain", [`${ESC}[A -v\r`], [unsure("-v")]],
    ["Down arrow is uncertain", [`ls${ESC}[B\r`], [unsure("ls")]],
    ["SS3 Up is uncertain", [`ls${ESC}OA\r`], [unsure("ls")]],
    ["Ctrl-R is uncertain", ["\u0012rm\r"], [unsure("rm")]],
    ["Ctrl-P is uncertain", ["\u0010\r", "x\r"], [unsure(""), sure("x")]],
    ["Ctrl-O runs the line and the recalled next one is uncertain", ["ls\u000f", "\r", "id\r"], [sure("ls"), unsure(""), sure("id")]],
    ["uncertainty lasts one line only", ["a\t\rb\r"], [unsure("a"), sure("b")]],
    ["an unknown CSI key is uncertain and inserts nothing", [`ls${ESC}[15~\r`], [unsure("ls")]],
    ["an unknown Alt key is uncertain", [`ls${ESC}u\r`], [unsure("ls")]],
    ["Insert (ESC[2~) is uncertain", [`ls${ESC}[2~\r`], [unsure("ls")]],
    ["a private CSI (ESC[?1;2c) is uncertain, never text", [`ls${ESC}[?1;2c\r`], [unsure("ls")]],
    ["Shift-Tab is uncertain", [`ls${ESC}[Z\r`], [unsure("ls")]],
    ["ESC then Enter still ends the line", [`ls${ESC}\r`], [unsure("ls")]],
    ["a control character inside a CSI aborts it and counts", [`ls${ESC}[1\r`], [unsure("ls")]],
    ["a very long CSI is consumed to its end", [`ls${ESC}[${"1;".repeat(500)}m -l\r`], [unsure("ls -l")]],
    ["NUL, Ctrl-L and Ctrl-G add nothing", ["l\u0000s\u000c\u0007\r"], [sure("ls")]],
    // Escape sequences split across feeds
    ["Left split after ESC", ["ac", ESC, "[D", "b\r"], [sure("abc")]],
    ["Left split after ESC[", ["ac", `${ESC}[`, "D", "b\r"], [sure("abc")]],
    ["Delete split inside its parameter", ["lxs", LEFT, LEFT, `${ESC}[`, "3", "~", "\r"], [sure("ls")]],
    ["Ctrl-Left split between parameters", ["one two", `${ESC}[1;`, "5D", "x\r"], [sure("one xtwo")]],
    ["SS3 split after ESC O", ["ls", `${ESC}O`, "H", "x\r"], [sure("xls")]],
    ["paste start split", [`${ESC}[20`, "0~ls\rpwd", `${ESC}[201~`, "\r"], [sure("ls"), sure("pwd")]],
    ["paste end split byte by byte", [`${ESC}[200~rm -rf /tmp/x`, ESC, "[", "2", "0", "1", "~", "\r"], [sure("rm -rf /tmp/x")]],
    // Bracketed paste
    ["a paste inserts text literally", [`echo ${PASTE("a\tb")}\r`], [sure("echo a\tb")]],
    ["keys inside a paste are text", [`${PASTE("x\u0015y\u0003z")}\r`], [sure("x\u0015y\u0003z")]],
    ["an arrow inside a paste is text", [`${PASTE(`a${ESC}[Db`)}\r`], [sure(`a${ESC}[Db`)]],
    ["line breaks inside a paste end commands", [PASTE("ls\nrm -rf /\r\nid"), "\r"], [sure("ls"), sure("rm -rf /"), sure("id")]],
    ["a paste into the middle of a line", [`cat ${LEFT}${LEFT}${LEFT}${LEFT}${PASTE("sudo ")}\r`], [sure("sudo cat")]],
    ["a false end marker inside a paste is text", [`${PASTE(`a${ESC}[20x`)}\r`], [sure(`a${ESC}[20x`)]],
    ["an ESC right before the end marker is text", [`${PASTE(`a${ESC}`)}\r`], [sure(`a${ESC}`)]],
    ["a NUL inside a paste is dropped and uncertain", [`${PASTE("a\u0000b")}\r`], [unsure("ab")]],
    ["a stray paste end is ignored", [`ls${ESC}[201~\r`], [sure("ls")]],
  ])("%s", (_name, feeds, expected) => {
    expect(typed(feeds).map((c) => [c.text, c.uncertain])).toEqual(expected);
  });

  it("stamps each command with the time of the feed that carried its Enter", () => {
    const editor = new LineEditor();
    expect(editor.feed(Buffer.from("l"), 1)).toEqual([]);
    expect(editor.feed(Buffer.from("s"), 2)).toEqual([]);
    expect(editor.feed(Buffer.from("\rid\r"), 3)).toEqual([
      { text: "ls", at: 3, uncertain: false },
      { text: "id", at: 3, uncertain: false },
    ]);
  });

  it("truncates a line longer than 8 KiB and marks it uncertain", () => {
    const [command] = typed(["x".repeat(MAX_LINE_BYTES + 10), "\r"]);
    expect(command!.text).toBe("x".repeat(MAX_LINE_BYTES));
    expect(command!.uncertain).toBe(true);
  });

  it("counts the 8 KiB in UTF-8 bytes, and frees them when characters are erased", () => {
    const euros = "€".repeat(MAX_LINE_BYTES / 3 + 1); // 3 bytes each
    const [long] = typed([euros, "\r"]);
    expect(Buffer.byteLength(long!.text)).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(long!.uncertain).toBe(true);
    const [exact] = typed(["y".repeat(MAX_LINE_BYTES), "\u007f", "z\r"]);
    expect(exact).toMatchObject({ text: `${"y".repeat(MAX_LINE_BYTES - 1)}z`, uncertain: false });
  });

  it("reset() abandons the line being typed, as after a refused command", () => {
    const editor = new LineEditor();
    editor.feed(Buffer.from("rm -rf /tmp\rls"), 1);
    editor.reset();
    expect(editor.feed(Buffer.from("pwd\r"), 2)).toEqual([{ text: "pwd", at: 2, uncertain: false }]);
  });

  it("reset() leaves a paste and a half-read escape sequence", () => {
    const editor = new LineEditor();
    editor.feed(Buffer.from(`${ESC}[200~rm`), 1);
    editor.reset();
    expect(editor.feed(Buffer.from(`ls${LEFT}\u0015\r`), 2)).toEqual([{ text: "s", at: 2, uncertain: false }]);
  });
});

describe("execCommand", () => {
  it("keeps an exec request exactly as sent, never uncertain", () => {
    expect(execCommand("  sudo -n true; echo 'a\tb'\n", 42)).toEqual({ text: "  sudo -n true; echo 'a\tb'\n", at: 42, uncertain: false });
  });
});
