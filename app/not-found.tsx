import { buttonClass } from "@/components/button-styles";

export default function NotFound() {
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="max-w-sm text-center">
        <p className="text-sm font-semibold text-indigo-600">404</p>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight">Page not found</h1>
        <p className="mt-2 text-sm text-slate-600">There is nothing at this address. It may have moved, or the link may be mistyped.</p>
        {/* A plain link: next/link here would put ~3 KB on every page's first load (the root not-found boundary ships with each). */}
        {/* eslint-disable-next-line @next/next/no-html-link-for-pages -- a plain link on purpose (above) */}
        <a href="/" className={buttonClass("primary", "mt-6")}>
          Go to Interim
        </a>
      </div>
    </main>
  );
}
