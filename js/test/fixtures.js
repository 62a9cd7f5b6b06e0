// Keyring files made by the tests themselves, with fresh random secrets.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/** A key object of a keyring file; fields override the defaults. */
export function keyJSON(id, fields = {}) {
  return {
    id,
    state: 'active',
    secret: randomBytes(32).toString('base64'),
    created: '2025-05-01T00:00:00Z',
    activates_at: '2025-05-01T00:00:00Z',
    ...fields,
  };
}

/** A keyring file's text. */
export function keyringText(keys, extra = {}) {
  return JSON.stringify({ version: 1, keys, ...extra }, null, 2) + '\n';
}

/** A new temporary folder, removed when the process exits. */
export function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cookiesession-js-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes a keyring file with mode 0600 (or mode) and returns its path. */
export function writeKeyring(dir, name, text, mode = 0o600) {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text, { mode });
  fs.chmodSync(p, mode);
  return p;
}
