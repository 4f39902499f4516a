import type { Metadata } from "next";
import Link from "next/link";
import { getServerSession } from "next-auth";
import { authOptions } from "@/server/auth/options";
import { sameOriginPath } from "@/shared/callback-url";
import { SigninForm } from "./signin-form";

export const metadata: Metadata = { title: "Sign in — Interim" };

// next-auth's error codes for the JavaScript-free form post; credential errors arrive as our own messages.
const ERROR_CODES: Record<string, string> = {
  CredentialsSignin: "Wrong username or password.",
  SessionRequired: "Sign in to continue.",
  Configuration: "Sign-in is not configured correctly on the server.",
};
// The server's own sign-in messages (server/auth/signin.ts). Anything else in the URL is not
// repeated: a crafted link must not be able to put its own words on this page.
const SERVER_MESSAGES = [
  /^Wrong username or password\.$/,
  /^Too many failed sign-ins\. Try again in \d+ minutes\.$/,
  /^The directory cannot be reached/,
  /^Enter your (username|password)$/,
];

function errorMessage(param: string | undefined): string | null {
  if (!param) return null;
  if (ERROR_CODES[param]) return ERROR_CODES[param];
  if (param.length <= 200 && SERVER_MESSAGES.some((re) => re.test(param))) return param;
  return "Sign-in failed. Try again.";
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export default async function SigninPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const callbackUrl = first(params.callbackUrl) ?? null;
  const error = first(params.error);
  const session = await getServerSession(authOptions);
  // Any origin will do to read the path: only whether it starts with /admin matters here.
  const wantsAdmin = sameOriginPath(callbackUrl, "http://interim.invalid")?.startsWith("/admin") ?? false;
  const notice = session && !session.user.isAdmin && wantsAdmin ? "Your account is not an Interim administrator." : null;

  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-10">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center justify-center gap-2 text-slate-900">
          <span aria-hidden="true" className="grid size-9 place-items-center rounded-lg bg-indigo-600 text-lg font-bold text-white">
            I
          </span>
          <span className="text-xl font-semibold tracking-tight">Interim</span>
        </div>
        <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8">
          <h1 className="text-xl font-semibold tracking-tight">Sign in to Interim</h1>
          <p className="mt-1 text-sm text-slate-600">Use your Active Directory account.</p>
          {session && (
            <p className="mt-3 text-sm text-slate-600">
              You are signed in as <strong className="font-medium text-slate-800">{session.user.displayName}</strong>.{" "}
              <Link href="/roles" className="font-medium text-indigo-700 underline-offset-2 hover:underline">
                Go to My access
              </Link>{" "}
              or sign in again to switch accounts.
            </p>
          )}
          <SigninForm callbackUrl={callbackUrl} initialMessage={notice ?? errorMessage(error)} />
        </div>
        <p className="mt-6 text-center text-xs text-slate-500">Just-in-time privileged access for Active Directory</p>
      </div>
    </main>
  );
}
