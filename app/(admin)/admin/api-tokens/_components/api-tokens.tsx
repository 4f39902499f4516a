"use client";

import { useState } from "react";
import { CreateTokenForm, type CreatedToken } from "./create-token-form";
import { NewTokenSecret } from "./new-token-secret";
import { TokenList } from "./token-list";

/** The page's parts: the form (or the new secret, once), then the list. */
export function ApiTokens() {
  const [created, setCreated] = useState<CreatedToken | null>(null);
  return (
    <div className="space-y-6">
      {created ? <NewTokenSecret token={created} onDone={() => setCreated(null)} /> : <CreateTokenForm onCreated={setCreated} />}
      <TokenList />
    </div>
  );
}
