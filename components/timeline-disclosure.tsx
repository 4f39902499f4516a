"use client";

import { lazy, Suspense, useId, useState } from "react";
import { Button } from "./button";

// Its code too is loaded once a timeline is opened (about 6 KB gzipped off the inbox and /roles).
// React.lazy rather than next/dynamic: the timeline never renders on the server (it opens on a
// click), and next/dynamic's own code is ~1.7 KB gzipped on the inbox's first load.
const RequestTimeline = lazy(() => import("./request-timeline").then((m) => ({ default: m.RequestTimelinePanel })));

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
        {open && (
          <Suspense fallback={<p className="text-sm text-slate-500">Loading the timeline…</p>}>
            <RequestTimeline requestId={requestId} />
          </Suspense>
        )}
      </div>
    </div>
  );
}
