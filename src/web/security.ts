/**
 * The pages' Content-Security-Policy, in one place: only the ledger's own stylesheet, no inline
 * script or style (style-src 'self' also forbids style="" attributes, so the chart uses classes
 * and SVG presentation attributes), forms only to the ledger, never framed.
 */
export const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'self'";

/**
 * The same policy, with the identity provider's sign-in page allowed as a form's destination:
 * the button Logga in med kommunens konto posts here and is redirected there, and chromium
 * applies form-action to that redirect too.
 */
export function pageCspWith(formTargets: readonly string[]): string {
  return formTargets.length === 0 ? PAGE_CSP : PAGE_CSP.replace("form-action 'self'", `form-action 'self' ${formTargets.join(' ')}`);
}
