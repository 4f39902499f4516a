import type { Metadata, Viewport } from "next";
import { connection } from "next/server";
import "./globals.css";

export const metadata: Metadata = {
  title: "Interim — just-in-time access",
  description: "Just-in-time privileged access for Active Directory",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  // Every page is rendered per request, never prerendered: its scripts must carry this request's
  // CSP nonce (proxy.ts), which a page built ahead of time cannot know.
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">
        {/* No client providers here: the sign-in page needs neither tRPC nor React Query (components/app-shell.tsx has them). */}
        {children}
      </body>
    </html>
  );
}
