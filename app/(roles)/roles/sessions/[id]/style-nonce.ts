/*
 * xterm.js adds <style> elements of its own (theme, cell size) and takes no nonce, so under our
 * policy (style-src 'self' 'nonce-…') they would be refused and the terminal would render without
 * colours or layout. While the terminal is mounted, <style> elements created by script get the
 * page's nonce (read from Next's own scripts), set before insertion, which is when it counts.
 * This grants nothing to injected markup: only code already running here calls createElement.
 */
export function stampStyleNonces(): () => void {
  const nonce = document.querySelector<HTMLScriptElement>("script[nonce]")?.nonce;
  if (!nonce) return () => {};
  const original = Document.prototype.createElement;
  Document.prototype.createElement = function (this: Document, tagName: string, options?: ElementCreationOptions) {
    const element = original.call(this, tagName, options);
    if (tagName.toLowerCase() === "style") element.setAttribute("nonce", nonce);
    return element;
  } as typeof Document.prototype.createElement;
  return () => {
    Document.prototype.createElement = original;
  };
}
