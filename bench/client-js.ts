/**
 * Client JavaScript per page, as a phone downloads it: the page's HTML is fetched from the
 * production server with the person's session cookie, every JavaScript chunk it names (script tags
 * and the chunks the RSC payload asks for before hydration) is fetched and gzipped (level 6, as
 * Next's own compression), and the sizes summed. `nomodule` polyfills are left out: browsers that
 * run modules never fetch them. The framework's baseline — React and the Next runtime alone — is
 * the build's `rootMainFiles`, every page's floor, measured in the same run.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { repoRoot } from "./lib/web";

export interface PageJs {
  route: string;
  status: number;
  chunks: number;
  rawBytes: number;
  gzipBytes: number;
  /** The HTML document itself (with the RSC payload and any dehydrated query state inlined), gzipped; pages only. */
  htmlGzipBytes?: number;
}

const CHUNK = /\/_next\/static\/(?:chunks\/[\w./-]+?\.js|[\w-]+\/_(?:buildManifest|ssgManifest|clientMiddlewareManifest)\.js)/g;

/** The chunks a page's HTML makes the browser load, without the nomodule ones. */
export function pageChunks(html: string): string[] {
  const noModule = new Set<string>();
  for (const m of html.matchAll(/<script\b[^>]*\bnoModule\b[^>]*>/gi)) for (const c of m[0].match(CHUNK) ?? []) noModule.add(c);
  // The RSC payload is JSON inside script text: its slashes may be escaped.
  const text = html.replace(/\\\//g, "/").replace(/"static\/chunks\//g, '"/_next/static/chunks/');
  return [...new Set(text.match(CHUNK) ?? [])].filter((c) => !noModule.has(c));
}

const sizeCache = new Map<string, { raw: number; gzip: number }>();

async function chunkSize(baseUrl: string, chunk: string): Promise<{ raw: number; gzip: number }> {
  const cached = sizeCache.get(chunk);
  if (cached) return cached;
  const res = await fetch(baseUrl + chunk);
  if (!res.ok) throw new Error(`${chunk}: HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  const size = { raw: body.length, gzip: gzipSync(body, { level: 6 }).length };
  sizeCache.set(chunk, size);
  return size;
}

async function sum(baseUrl: string, chunks: string[]) {
  let rawBytes = 0;
  let gzipBytes = 0;
  for (const c of chunks) {
    const s = await chunkSize(baseUrl, c);
    rawBytes += s.raw;
    gzipBytes += s.gzip;
  }
  return { rawBytes, gzipBytes };
}

export async function measurePage(baseUrl: string, route: string, cookie?: string): Promise<PageJs> {
  const res = await fetch(baseUrl + route, { headers: cookie ? { cookie } : {}, redirect: "manual" });
  const html = await res.text();
  if (res.status !== 200) throw new Error(`${route}: HTTP ${res.status} (signed in? ${cookie ? "yes" : "no"})`);
  const chunks = pageChunks(html);
  return { route, status: res.status, chunks: chunks.length, ...(await sum(baseUrl, chunks)), htmlGzipBytes: gzipSync(html, { level: 6 }).length };
}

/** React + the Next runtime alone: the build's rootMainFiles, loaded by every App Router page. */
export async function frameworkBaseline(baseUrl: string): Promise<PageJs> {
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, ".next", "build-manifest.json"), "utf8")) as { rootMainFiles: string[] };
  const chunks = manifest.rootMainFiles.map((f) => `/_next/${f}`);
  return { route: "(framework: React + Next runtime)", status: 200, chunks: chunks.length, ...(await sum(baseUrl, chunks)) };
}

export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
