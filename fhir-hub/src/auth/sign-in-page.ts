/**
 * The HTML the authorization server shows: the sign-in page (which is also the consent: it names the
 * app and what it asks for), the consent page for a person already signed in, and plain message pages
 * (errors, sign-out). Self-contained (no external fonts or scripts), every value HTML-escaped.
 */
import { parseSmartScope } from './smart-scopes.ts';

/** Headers for every page: no framing (clickjacking), no caching, nothing loaded from elsewhere. */
export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
};

export interface SignInPageInput {
  action: string;
  abortAction: string;
  clientName: string;
  scopes: string[];
  /** Show the patient field (the app asked for launch/patient). */
  askPatient: boolean;
  username?: string;
  error?: string;
}

export function renderSignIn(input: SignInPageInput): string {
  return page(
    'Sign in',
    `<h1>Sign in to Simpul</h1>
    <p><strong>${escapeHtml(input.clientName)}</strong> asks to:</p>
    ${scopeList(input.scopes)}
    ${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''}
    <form method="post" action="${escapeHtml(input.action)}" autocomplete="off">
      <label>Username <input name="username" required maxlength="200" value="${escapeHtml(input.username ?? '')}" autofocus></label>
      <label>Password <input name="password" type="password" required maxlength="1024"></label>
      ${input.askPatient ? patientField() : ''}
      <button type="submit">Sign in and allow</button>
    </form>
    ${abortForm(input.abortAction)}`,
  );
}

export function renderConsent(input: Omit<SignInPageInput, 'username'>): string {
  return page(
    'Allow access',
    `<h1>Allow access</h1>
    <p><strong>${escapeHtml(input.clientName)}</strong> asks to:</p>
    ${scopeList(input.scopes)}
    ${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''}
    <form method="post" action="${escapeHtml(input.action)}">
      ${input.askPatient ? patientField() : ''}
      <button type="submit">Allow</button>
    </form>
    ${abortForm(input.abortAction)}`,
  );
}

export function renderMessage(title: string, text: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`);
}

/** oidc-provider's sign-out confirmation; `form` is the provider's own (trusted) form markup. */
export function renderLogout(form: string, host: string): string {
  return page(
    'Sign out',
    `<h1>Sign out of ${escapeHtml(host)}?</h1>${form}
    <button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
    <button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>`,
  );
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A plain-language line per scope; unknown words are shown as they are. */
export function describeScope(scope: string): string {
  const fixed: Record<string, string> = {
    openid: 'know who you are',
    fhirUser: 'know which practitioner or patient record is you',
    profile: 'see your username',
    offline_access: 'keep access after you close the app, until you sign out or it is revoked',
    'launch/patient': 'work on one patient you choose',
  };
  if (fixed[scope]) return fixed[scope];
  const smart = parseSmartScope(scope);
  if (!smart) return scope;
  const verbs = [...smart.permissions].map((p) => ({ c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' })[p]);
  const what = smart.resourceType === '*' ? 'all records' : `${smart.resourceType} records`;
  const whose = smart.context === 'patient' ? ' of the selected patient' : smart.context === 'user' ? ' you can access' : '';
  const only = smart.query ? ` matching ${smart.query}` : '';
  return `${verbs.join(', ')} ${what}${whose}${only}`;
}

function scopeList(scopes: string[]): string {
  if (scopes.length === 0) return '<p>(nothing beyond signing you in)</p>';
  return `<ul>${scopes.map((s) => `<li>${escapeHtml(describeScope(s))} <code>${escapeHtml(s)}</code></li>`).join('')}</ul>`;
}

function patientField(): string {
  return `<label>Patient id <input name="patient" maxlength="64" pattern="[A-Za-z0-9\\-.]{1,64}"
    placeholder="the id of the Patient the app will work on"></label>`;
}

function abortForm(action: string): string {
  return `<form method="post" action="${escapeHtml(action)}"><button type="submit" class="secondary">Cancel</button></form>`;
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Simpul</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f6f8;margin:0;padding:2rem 1rem;color:#1b2733}
main{max-width:26rem;margin:0 auto;background:#fff;border-radius:8px;padding:1.5rem 2rem;box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin-top:0}label{display:block;margin:.8rem 0}input{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;font-size:1rem}
button{width:100%;padding:.6rem;margin-top:.6rem;font-size:1rem;border:0;border-radius:4px;background:#1c6dd0;color:#fff;cursor:pointer}
button.secondary{background:#e3e8ee;color:#1b2733}.error{color:#b00020}code{font-size:.8rem;color:#55606b}li{margin:.3rem 0}
</style></head><body><main>${body}</main></body></html>`;
}
