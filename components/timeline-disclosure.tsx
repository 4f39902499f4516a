"use client";

import { useId, useState } from "react";
import { Button } from "./button";
import { RequestTimeline } from "./request-timeline";

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
