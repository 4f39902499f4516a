"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { signIn } from "next-auth/react";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { signinInput, type SigninInput } from "@/server/auth/schemas";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { TextField } from "@/components/form-field";
import { safeCallbackPath } from "@/shared/callback-url";

export function SigninForm({ callbackUrl, initialMessage }: { callbackUrl: string | null; initialMessage: string | null }) {
  const [error, setError] = useState<string | null>(initialMessage);
  const {
    register,
    handleSubmit,
    formState: { errors, isSubmitting, isSubmitSuccessful },
    // No defaultValues: react-hook-form would overwrite what was typed before hydration.
  } = useForm<SigninInput>({ resolver: zodResolver(signinInput) });

  const onSubmit = handleSubmit(async ({ username, password }) => {
    setError(null);
    const result = await signIn("credentials", { redirect: false, username, password });
    if (!result || result.error || !result.ok) {
      const message = result?.error;
      setError(!message || message === "CredentialsSignin" ? "Wrong username or password." : message);
      // Reject so react-hook-form does not count this as a successful submit.
      throw new Error("sign-in refused");
    }
    // A full load, so the server-rendered header and proxy.ts see the new session cookie.
    window.location.assign(safeCallbackPath(callbackUrl, window.location.origin));
  });

  const busy = isSubmitting || isSubmitSuccessful;
  return (
    <form
      noValidate
      // POST, so a submit before hydration can never put the password in the URL.
      method="post"
      className="mt-6 space-y-4"
      onSubmit={(e) => {
        onSubmit(e).catch(() => {});
      }}
    >
      <ErrorAlert>{error}</ErrorAlert>
      <TextField
        id="username"
        label="Username"
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        error={errors.username?.message}
        {...register("username")}
      />
      <TextField id="password" label="Password" type="password" autoComplete="current-password" error={errors.password?.message} {...register("password")} />
      <Button type="submit" variant="primary" className="w-full" pending={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </Button>
    </form>
  );
}
