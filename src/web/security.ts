/**
 * The pages' Content-Security-Policy, in one place: only the ledger's own stylesheet, no inline
 * script or style (style-src 'self' also forbids style="" attributes, so the chart uses classes
 * and SVG presentation attributes), forms only to the ledger, never framed.
 */
export const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'self'";
