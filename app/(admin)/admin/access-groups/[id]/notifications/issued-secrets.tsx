"use client";

/** A secret Interim just issued for a webhook. */
export interface ShownSecret {
  webhookId: string;
  name: string;
  secret: string;
}

/**
 * Secrets issued by the last save or rotation: shown here once (the server keeps them sealed and
 * never returns them again), for the admin to paste into the receiver.
 */
export function IssuedSecrets({ secrets, onDismiss }: { secrets: readonly ShownSecret[]; onDismiss: () => void }) {
  if (secrets.length === 0) return null;
  return (
    <section
      aria-labelledby="issued-secrets-heading"
      role="status"
      className="max-w-3xl space-y-2 rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950"
    >
      <h3 id="issued-secrets-heading" className="font-semibold">
        New signing {secrets.length === 1 ? "secret" : "secrets"}: copy now, not shown again
      </h3>
      <p className="text-xs">
        The receiver checks <code className="font-mono">X-Interim-Signature</code> with it (README, &quot;Verifying webhooks&quot;). Lost? Rotate the secret.
      </p>
      <dl className="space-y-2">
        {secrets.map((s) => (
          <div key={s.webhookId}>
            <dt className="font-medium">{s.name}</dt>
            <dd>
              <code className="font-mono break-all select-all" aria-label={`Signing secret of ${s.name}`}>
                {s.secret}
              </code>
            </dd>
          </div>
        ))}
      </dl>
      <button type="button" className="text-xs font-medium underline" onClick={onDismiss}>
        I have copied {secrets.length === 1 ? "it" : "them"}
      </button>
    </section>
  );
}
