// The pay URL template ({token} placeholder) and the carrier it implies.

export interface TemplateInfo {
  /** carrier spec the decode engine needs to see tokens in such URLs, e.g. "query:pay_token" */
  carrier: string;
}

/**
 * Checks a template and derives its carrier:
 *   http://host/path?NAME={token}   -> query:NAME
 *   https://{token}.SUFFIX/...      -> host:SUFFIX
 *   http://host/PREFIX/{token}...   -> path:/PREFIX/
 * Throws an Error with a message naming what is wrong.
 */
export function parsePayUrlTemplate(template: string): TemplateInfo {
  const n = template.split('{token}').length - 1;
  if (n !== 1) throw new Error('must contain {token} exactly once');
  let url: URL;
  try {
    url = new URL(template.replace('{token}', 'aaaaaaaaaaaaaaaaaaaaaaaaaa'));
  } catch {
    throw new Error('must be an http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('must be an http or https URL');
  // the URL parsed above: this matches, with a host and a path (both possibly empty)
  const [, host = '', path = '', query] = /^https?:\/\/([^/?#]*)([^?#]*)(\?[^#]*)?/i.exec(template) ?? [];
  if (host.includes('{token}')) {
    const hm = /^\{token\}\.([a-z0-9.-]+?)(:[0-9]+)?$/i.exec(host);
    if (!hm?.[1]) throw new Error('a {token} in the host must be its leftmost label: https://{token}.pay.example.net/');
    return { carrier: `host:${hm[1].toLowerCase()}` };
  }
  if (path.includes('{token}')) {
    const pm = /^((?:\/[^/{}]+)*\/)\{token\}(\/.*)?$/.exec(path);
    if (!pm?.[1] || pm[1] === '/')
      throw new Error('a {token} in the path must be a whole segment after a prefix: http://host/pay/{token}');
    return { carrier: `path:${pm[1]}` };
  }
  const qm = /[?&]([^=&]+)=\{token\}(&|$)/.exec(query ?? '');
  if (!qm?.[1])
    throw new Error('a {token} in the query must be a whole parameter value: http://host/pay?pay_token={token}');
  return { carrier: `query:${decodeURIComponent(qm[1])}` };
}

export function renderPayUrl(template: string, token: string): string {
  return template.replace('{token}', token);
}
