"use client";

import dynamic from "next/dynamic";
import { useId, useState } from "react";
import { Button } from "./button";

// Its code too is loaded once a timeline is opened (about 6 KB gzipped off the inbox and /roles).
const RequestTimeline = dynamic(() => import("./request-timeline").then((m) => m.RequestTimeline), {
  loading: () => <p className="text-sm text-slate-500">Loading the timeline…</p>,
});

/**
 * A "Timeline" button that shows the request's steps beneath it. The timeline is fetched only once
 * opened: lists hold many requests and most are never looked into.
 */
export function TimelineDisclosure({ requestId, className = "" }: { requestId: string; className?: string }) {
  const panelId = useId();
  const [open, setOpen] = useState(false);
  return (
    <div className={className}>
      <Button variant="ghost" className="-ml-2 px-2 py-1" aria-expanded={open} aria-controls={panelId} onClick={() => setOpen((o) => !o)}>
        <span aria-hidden="true" className={`inline-block text-xs transition-transform ${open ? "rotate-90" : ""}`}>
          ▶
        </span>
        Timeline
      </Button>
      <div id={panelId} hidden={!open} className="mt-2">
        {open && <RequestTimeline requestId={requestId} />}
      </div>
    </div>
  );
}
