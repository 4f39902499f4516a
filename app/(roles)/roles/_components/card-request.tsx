"use client";

import dynamic from "next/dynamic";
import { useState } from "react";
import { SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import { formatWhen } from "@/components/time";
import type { RequestTarget } from "./request-target";

// Loaded when a card's form opens: the form (zod, react-hook-form) is most of the page's own
// JavaScript and most visits never open one.
const RequestForm = dynamic(() => import("./request-form").then((m) => m.RequestForm), {
  loading: () => <p className="mt-4 text-sm text-slate-500">Loading the form…</p>,
});

/** Why a card's privilege (or set) cannot be requested now, and when it opens again. */
export function UnavailableNote({ verdict }: { verdict: RequestTarget["verdict"] }) {
  if (verdict.ok) return null;
  return (
    <p className="mt-2 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
      Not available right now: {verdict.reason}
      {verdict.nextWindowStartsAt ? ` Opens again ${formatWhen(verdict.nextWindowStartsAt)}.` : ""}
    </p>
  );
}

/** The card's Request button, which opens the request form in place and says what came of it. */
export function CardRequest({ formId, target }: { formId: string; target: RequestTarget }) {
  const [open, setOpen] = useState(false);
  const [submitted, setSubmitted] = useState<string | null>(null);
  if (open) {
    return (
      <RequestForm
        id={formId}
        target={target}
        onCancel={() => setOpen(false)}
        onSubmitted={(message) => {
          setOpen(false);
          setSubmitted(message);
        }}
      />
    );
  }
  return (
    <div className="mt-4 flex flex-wrap items-center gap-3">
      <Button
        variant="primary"
        onClick={() => {
          setSubmitted(null);
          setOpen(true);
        }}
      >
        Request
      </Button>
      {submitted && <SuccessNote className="py-1.5">{submitted}</SuccessNote>}
    </div>
  );
}
