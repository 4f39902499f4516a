"use client";

import { useState } from "react";
import { Button } from "@/components/button";
import { Card } from "@/components/page-heading";
import type { CreatedToken } from "./create-token-form";

/** The secret of a token just created: shown this once, with a copy button. */
export function NewTokenSecret({ token, onDone }: { token: CreatedToken; onDone: () => void }) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token.secret);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
  };
  return (
    <Card className="space-y-3 border-amber-300 bg-amber-50 p-4 sm:p-6">
      <h2 className="text-base font-semibold text-slate-900">Token “{token.name}” created</h2>
      <p role="alert" className="text-sm font-medium text-amber-900">
        Copy it now: you will not see it again. Interim keeps only a hash of it.
      </p>
      <label htmlFor="new-token-secret" className="block text-sm font-medium text-slate-800">
        Secret
      </label>
      <input
        id="new-token-secret"
        readOnly
        value={token.secret}
        onFocus={(e) => e.currentTarget.select()}
        className="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-xs text-slate-900"
      />
      <div className="flex flex-wrap items-center gap-2">
        <Button variant="primary" onClick={() => void copy()}>
          Copy
        </Button>
        <Button onClick={onDone}>I have stored it</Button>
        <span aria-live="polite" className="text-sm text-slate-600">
          {copied === "yes" ? "Copied." : copied === "failed" ? "The browser refused to copy: select the secret and copy it by hand." : ""}
        </span>
      </div>
    </Card>
  );
}
