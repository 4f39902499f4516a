"use client";

import { useState } from "react";
import { Button, type ButtonVariant } from "./button";

interface ConfirmButtonProps {
  label: string;
  confirmLabel: string;
  pendingLabel: string;
  /** Resolves when done; a rejection keeps the confirm step open so the person can retry. */
  onConfirm: () => Promise<unknown>;
  pending: boolean;
  variant?: ButtonVariant;
  disabled?: boolean;
}

/** A destructive action in two clicks: the first asks, the second does it. */
export function ConfirmButton({ label, confirmLabel, pendingLabel, onConfirm, pending, variant = "danger", disabled }: ConfirmButtonProps) {
  const [confirming, setConfirming] = useState(false);

  if (!confirming) {
    return (
      <Button variant="secondary" onClick={() => setConfirming(true)} disabled={disabled}>
        {label}
      </Button>
    );
  }
  return (
    <span className="inline-flex flex-wrap items-center gap-2">
      <Button
        variant={variant}
        pending={pending}
        // The first button is gone; keep keyboard focus on the step that replaced it.
        autoFocus
        onClick={async () => {
          try {
            await onConfirm();
            setConfirming(false);
          } catch {
            // The caller shows the error; the confirm step stays for a retry.
          }
        }}
      >
        {pending ? pendingLabel : confirmLabel}
      </Button>
      <Button variant="ghost" onClick={() => setConfirming(false)} disabled={pending}>
        Cancel
      </Button>
    </span>
  );
}
