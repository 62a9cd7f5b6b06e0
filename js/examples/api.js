#!/usr/bin/env node
// A Node service on api.example.localhost that reads the session a Go app
// on app.example.localhost wrote: both read one keyring file and share the
// cookie on the parent domain.
//
//   node examples/api.js --keyring keys.json [--listen 127.0.0.1:8081]
//       [--domain example.localhost] [--max-size 6144] [--purpose ""]
//
// GET / shows the session in a page; GET /session.json gives it as JSON.

import http from 'node:http';
import { parseArgs } from 'node:util';
import { KeyringFile, SessionStore } from 'cookiesession';

const { values: flags } = parseArgs({
  options: {
    keyring: { type: 'string' },
    listen: { type: 'string', default: '127.0.0.1:8081' },
    domain: { type: 'string', default: 'example.localhost' },
    'max-size': { type: 'string', default: '6144' },
    purpose: { type: 'string', default: '' },
  },
});
if (!flags.keyring) {
  console.error('api.js: --keyring FILE is required');
  process.exit(2);
}

// The keyring file is read again every 5 seconds, so a rotation on the Go
// side reaches this service without a restart.
const keys = new KeyringFile(flags.keyring, {
  onReload: (ev) => ev.error && console.error(ev.error.message),
}).start();
const store = new SessionStore(keys, {
  domain: flags.domain,
  maxSize: Number(flags['max-size']),
  purpose: flags.purpose,
});

// What this service makes of a request's session. The data is the Go
// app's; the error names only the class, never any content.
function sessionOf(req) {
  try {
    const s = store.load(req.headers.cookie);
    return {
      session: true,
      id: Buffer.from(s.id).toString('base64url'),
      created: s.created.toISOString(),
      keyId: s.keyId,
      chunks: s.header.chunks,
      data: s.data,
    };
  } catch (e) {
    if (!e.kind) throw e;
    return { session: false, error: e.kind };
  }
}

const escape = (s) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);

const server = http.createServer((req, res) => {
  const state = sessionOf(req);
  const body = JSON.stringify(state, (k, v) => (typeof v === 'bigint' ? v.toString() : v), 2);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Vary', 'Cookie');
  if (req.url === '/session.json') {
    res.setHeader('Content-Type', 'application/json');
    res.end(body);
    return;
  }
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><title>api</title><h1>api.${escape(flags.domain)}</h1><pre id="session">${escape(body)}</pre>\n`);
});

const sep = flags.listen.lastIndexOf(':');
server.listen(Number(flags.listen.slice(sep + 1)), flags.listen.slice(0, sep), () => {
  const { port } = server.address();
  console.log(`serving the session on http://api.${flags.domain}:${port}/`);
});
