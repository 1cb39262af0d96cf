// A browser reduced to what server-rendered forms need: a cookie jar, navigation without
// following redirects (the scripts read each `Location`), and posting a page's first form
// with its hidden inputs. Shared by the relying-party scripts that drive the sign-in pages.

/** A cookie jar over fetch. */
export class FormBrowser {
  /** `base` resolves form actions. */
  constructor(base) {
    this.base = base;
    this.cookies = new Map();
  }

  /** Fetches `url` with the jar's cookies, keeping the ones the answer sets. */
  async go(url, init = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at), pair.slice(at + 1)];
      if (value) this.cookies.set(name, value);
      else this.cookies.delete(name);
    }
    return response;
  }

  /** Submits the page's first form with `fields` added to its hidden inputs. */
  async submit(html, fields) {
    const form = html.match(/<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/);
    if (!form) throw new Error(`no form in the page: ${html.slice(0, 200)}`);
    const body = new URLSearchParams();
    for (const input of form[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      body.set(input[1], unescape(input[2]));
    }
    for (const [name, value] of Object.entries(fields)) body.set(name, value);
    return this.go(new URL(unescape(form[1]), this.base), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
  }
}

/** Undoes HTML escaping of an attribute value. */
function unescape(text) {
  return text
    .replaceAll('&#x2f;', '/')
    .replaceAll('&quot;', '"')
    .replaceAll('&#x27;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}
