"use client";

import { useRef, useState } from "react";
import { ErrorAlert } from "@/components/alerts";
import { signInWithPassword } from "@/components/auth-client";
import { Button } from "@/components/button";
import { TextField } from "@/components/form-field";
import { safeCallbackPath } from "@/shared/callback-url";
import { checkSignin, type SigninErrors } from "./signin-check";

export function SigninForm({ callbackUrl, initialMessage }: { callbackUrl: string | null; initialMessage: string | null }) {
  const [error, setError] = useState<string | null>(initialMessage);
  const [errors, setErrors] = useState<SigninErrors>({});
  // After the first submit, fields are re-checked as they change (as react-hook-form did).
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  // Uncontrolled inputs: what was typed before hydration is kept.
  const form = useRef<HTMLFormElement>(null);

  const read = () => {
    const data = new FormData(form.current!);
    return { username: String(data.get("username") ?? ""), password: String(data.get("password") ?? "") };
  };

  const onSubmit = async (e: React.FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (busy) return;
    setSubmitted(true);
    const { username, password } = read();
    const checked = checkSignin(username, password);
    setErrors(checked.errors);
    if (checked.errors.username || checked.errors.password) {
      form.current?.querySelector<HTMLInputElement>(checked.errors.username ? "#username" : "#password")?.focus();
      return;
    }
    setError(null);
    setBusy(true);
    try {
      const result = await signInWithPassword(checked.username, password);
      if (!result.ok) {
        const message = result.error;
        setError(!message || message === "CredentialsSignin" ? "Wrong username or password." : message);
        setBusy(false);
        return;
      }
    } catch {
      setError("Wrong username or password.");
      setBusy(false);
      return;
    }
    // A full load, so the server-rendered header and proxy.ts see the new session cookie.
    window.location.assign(safeCallbackPath(callbackUrl, window.location.origin));
  };

  const recheck = () => {
    if (submitted) setErrors(checkSignin(read().username, read().password).errors);
  };

  return (
    <form
      ref={form}
      noValidate
      // POST, so a submit before hydration can never put the password in the URL.
      method="post"
      className="mt-6 space-y-4"
      onSubmit={(e) => void onSubmit(e)}
      onChange={recheck}
    >
      <ErrorAlert>{error}</ErrorAlert>
      <TextField id="username" name="username" label="Username" autoComplete="username" autoCapitalize="none" spellCheck={false} error={errors.username} />
      <TextField id="password" name="password" label="Password" type="password" autoComplete="current-password" error={errors.password} />
      <Button type="submit" variant="primary" className="w-full" pending={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </Button>
    </form>
  );
}
