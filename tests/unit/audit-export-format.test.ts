import { describe, expect, it } from "vitest";
import { CSV_COLUMNS, CSV_HEADER, csvCell, csvLine, jsonLine, type ExportedRow } from "@/server/audit/export-format";
import { searchQuery } from "@/server/audit/filters";

const row: ExportedRow = {
  seq: 7,
  at: new Date("2026-12-07T10:00:00.000Z"),
  actorType: "user",
  actorId: "u1",
  actorName: "carol",
  action: "catalog.item_updated",
  targetType: "device",
  targetId: "d1",
  data: { note: 'a, "b"\nc' },
  ip: null,
  userAgent: "vitest",
  prevHash: "0".repeat(64),
  hash: "f".repeat(64),
};
const names = { actor: "Carol (carol)", target: '=HYPERLINK("http://x")', targetGone: false };

describe("CSV cells", () => {
  it("quote text, double its quotes and keep commas and newlines inside the cell", () => {
    expect(csvCell('a, "b"\nc')).toBe('"a, ""b""\nc"');
    expect(csvCell(null)).toBe("");
    expect(csvCell(42)).toBe("42");
    expect(csvCell(true)).toBe("true");
  });

  it("defuse what a spreadsheet would run as a formula (OWASP: = + - @ tab CR)", () => {
    for (const start of ["=", "+", "-", "@", "\t", "\r"]) expect(csvCell(`${start}1+1`)).toBe(`"'${start}1+1"`);
    expect(csvCell("1+1")).toBe('"1+1"');
    expect(csvCell("a=b")).toBe('"a=b"');
  });

  it("make one CRLF-terminated record per row, with a cell for every column", () => {
    const line = csvLine(row, names);
    expect(line.endsWith("\r\n")).toBe(true);
    expect(line).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(line.startsWith('7,"2026-12-07T10:00:00.000Z","user"')).toBe(true);
    expect(CSV_HEADER.trimEnd().split(",")).toEqual([...CSV_COLUMNS]);
  });
});

describe("JSON lines", () => {
  it("are one parseable object per line, newlines inside values escaped", () => {
    const line = jsonLine(row, names);
    expect(line.split("\n")).toHaveLength(2);
    expect(JSON.parse(line)).toMatchObject({ seq: 7, at: "2026-12-07T10:00:00.000Z", data: row.data, target: names.target, targetDeleted: false });
  });
});

describe("the trail's search words", () => {
  it("become prefix phrases of letters and digits, AND-ed; nothing else reaches to_tsquery", () => {
    expect(searchQuery("drift.settings")).toBe("(drift:* <-> settings:*)");
    expect(searchQuery("JIT  alice")).toBe("(jit:*) & (alice:*)");
    expect(searchQuery("a'b:*|!(c)")).toBe("(a:* <-> b:* <-> c:*)");
    expect(searchQuery(" %_ ")).toBeUndefined();
    expect(searchQuery("Zürich")).toBe("(zürich:*)");
  });
});
