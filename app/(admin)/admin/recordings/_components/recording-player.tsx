"use client";

import "asciinema-player/dist/bundle/asciinema-player.css";
import { forwardRef, useEffect, useImperativeHandle, useRef, useState } from "react";
import type { Player } from "asciinema-player";
import { Button } from "@/components/button";

export interface PlayerHandle {
  /** Jumps to `seconds` into the recording and plays from there. */
  seekTo: (seconds: number) => void;
}

const SPEEDS = [1, 2, 4] as const;

/** asciinema-player over the session's asciicast text; a speed change recreates it at the same moment. */
export const RecordingPlayer = forwardRef<PlayerHandle, { recording: string; startAt?: number }>(function RecordingPlayer({ recording, startAt }, ref) {
  const element = useRef<HTMLDivElement>(null);
  const player = useRef<Player | null>(null);
  const position = useRef(startAt ?? 0);
  const [speed, setSpeed] = useState<number>(1);

  useEffect(() => {
    let disposed = false;
    void import("asciinema-player").then(({ create }) => {
      if (disposed || !element.current) return;
      player.current = create({ data: recording }, element.current, { speed, controls: true, fit: "width", idleTimeLimit: 5, startAt: position.current });
    });
    return () => {
      disposed = true;
      if (player.current) position.current = player.current.getCurrentTime();
      player.current?.dispose();
      player.current = null;
    };
  }, [recording, speed]);

  useImperativeHandle(ref, () => ({
    seekTo(seconds) {
      position.current = seconds;
      void player.current?.seek(seconds).then(() => player.current?.play());
    },
  }));

  return (
    <div className="space-y-2">
      <div role="group" aria-label="Playback speed" className="flex gap-2">
        {SPEEDS.map((s) => (
          <Button key={s} variant={s === speed ? "primary" : "secondary"} aria-pressed={s === speed} onClick={() => setSpeed(s)}>
            {s}×
          </Button>
        ))}
      </div>
      <div ref={element} aria-label="Recording" role="region" className="w-full overflow-hidden rounded-md bg-black" />
    </div>
  );
});
