"use client";

import { useId, useState } from "react";
import { SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import type { RouterOutputs } from "@/components/router-types";
import { formatMinutes } from "@/components/time";
import { RequestForm } from "./request-form";

export type AvailablePrivilege = RouterOutputs["privileges"]["available"][number];

export function PrivilegeCard({ privilege }: { privilege: AvailablePrivilege }) {
  const headingId = useId();
  const formId = useId();
  const [open, setOpen] = useState(false);
  const [submitted, setSubmitted] = useState(false);

  return (
    <article aria-labelledby={headingId} className="flex flex-col rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <h3 id={headingId} className="text-base font-semibold text-slate-900">
          {privilege.name}
        </h3>
        <span className="rounded-md bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700">Up to {privilege.maxDurationMinutes} min</span>
      </div>
      <p className="mt-1 text-sm text-slate-600">{privilege.description || "No description."}</p>
      <p className="mt-2 text-xs text-slate-500">
        Default {formatMinutes(privilege.defaultDurationMinutes)}
        {privilege.allowExtension ? " · can be extended" : ""}
      </p>

      {open ? (
        <RequestForm
          id={formId}
          privilege={privilege}
          onCancel={() => setOpen(false)}
          onSubmitted={() => {
            setOpen(false);
            setSubmitted(true);
          }}
        />
      ) : (
        <div className="mt-4 flex flex-wrap items-center gap-3">
          <Button
            variant="primary"
            onClick={() => {
              setSubmitted(false);
              setOpen(true);
            }}
          >
            Request
          </Button>
          {submitted && <SuccessNote className="py-1.5">Request submitted. Follow it under My access.</SuccessNote>}
        </div>
      )}
    </article>
  );
}
