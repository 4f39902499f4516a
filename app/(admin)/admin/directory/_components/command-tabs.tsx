"use client";

import { useState } from "react";

interface Commands {
  powershell: string;
  dsacls: string | null;
  samba: string | null;
}

const DIALECTS = [
  { key: "powershell", label: "PowerShell" },
  { key: "dsacls", label: "dsacls (cmd.exe)" },
  { key: "samba", label: "samba-tool" },
] as const;

/** One delegation's commands, one dialect at a time, with a copy button. */
export function CommandTabs({ target, commands }: { target: string; commands: Commands }) {
  const available = DIALECTS.filter((d) => commands[d.key] !== null);
  const [dialect, setDialect] = useState<(typeof DIALECTS)[number]["key"]>(available[0]!.key);
  const [copied, setCopied] = useState(false);
  const text = commands[dialect] ?? "";
  const copy = async () => {
    await navigator.clipboard.writeText(text);
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return (
    <div className="rounded-md border border-slate-200">
      <div className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-200 bg-slate-50 px-3 py-2">
        <p className="min-w-0 text-xs break-all text-slate-600">
          On <span className="font-mono">{target}</span>
        </p>
        <div className="flex items-center gap-1" role="group" aria-label={`Command dialect for ${target}`}>
          {available.map((d) => (
            <button
              key={d.key}
              type="button"
              aria-pressed={dialect === d.key}
              onClick={() => setDialect(d.key)}
              className={`rounded px-2 py-1 text-xs font-medium ${dialect === d.key ? "bg-slate-800 text-white" : "text-slate-700 hover:bg-slate-200"}`}
            >
              {d.label}
            </button>
          ))}
          <button type="button" onClick={() => void copy()} className="ml-1 rounded px-2 py-1 text-xs font-medium text-blue-700 hover:bg-blue-50">
            {copied ? "Copied" : "Copy"}
          </button>
        </div>
      </div>
      {/* Focusable: a long command scrolls sideways, and keyboard users must be able to scroll it too. */}
      <pre
        tabIndex={0}
        aria-label={`${available.find((d) => d.key === dialect)!.label} command for ${target}`}
        className="overflow-x-auto p-3 text-[12px] leading-5 text-slate-900"
      >
        <code>{text}</code>
      </pre>
    </div>
  );
}
