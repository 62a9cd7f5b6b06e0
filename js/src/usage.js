// The key usage of a Node.js service, served as the Go store's
// KeyUsageHandler serves it, so that `cookiesession keyring usage` sums a
// fleet of Go and Node servers alike and checks, before a key activates,
// that every one of them has loaded it.

import { formatRFC3339 } from './time.js';

/**
 * A node:http request handler that serves the key usage of `source` (a
 * SessionStore or a Codec) as JSON, with the ids of the keyring it has
 * loaded and, while its KeyringFile rejects the file, why:
 *
 *   {"keys":[{"id":"1a2b3c4d","opened":1200,"last_seen":"2026-11-21T10:00:00Z"}],
 *    "loaded":["1a2b3c4d","5e6f7a8b"],
 *    "keyring_error":"cookiesession: keyring keys.json: …"}
 *
 * It answers GET and HEAD only, to anyone who asks: the figures hold no
 * secret, but they tell which keys exist and how many sessions each
 * opened. Mount it on an internal listener or behind authentication.
 * @param {{keyUsage(): {id: string, opened: number, lastSeenUnixNano: bigint}[]}} source
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void}
 */
export function keyUsageHandler(source) {
  const codec = source.codec ?? source;
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    const out = {
      keys: source.keyUsage().map((u) => ({ id: u.id, opened: u.opened, last_seen: formatRFC3339(u.lastSeenUnixNano) })),
      loaded: codec.keys.keyring().keys().map((k) => k.id),
    };
    const err = typeof codec.keys.lastError === 'function' ? codec.keys.lastError() : null;
    if (err) out.keyring_error = err.message;
    const body = JSON.stringify(out) + '\n';
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
