#!/usr/bin/env node
// The Node side of the Go cross tests (crossjs_test.go at the repository
// root): reads a job as JSON on standard input, runs each operation with
// this package, and writes the results as JSON on standard output.
//
// Values travel as JSON with two tags: {"$bytes": base64} for a byte string
// and {"$bigint": "digits"} for an integer beyond 2^53.

import { readFileSync } from 'node:fs';
import { Codec, SessionStore, loadKeyringSync, parseKeyring, decodeCBOR, cbor, json, CookieSessionError } from '../src/index.js';

function untag(v) {
  if (Array.isArray(v)) return v.map(untag);
  if (v !== null && typeof v === 'object') {
    if (typeof v.$bytes === 'string') return new Uint8Array(Buffer.from(v.$bytes, 'base64'));
    if (typeof v.$bigint === 'string') return BigInt(v.$bigint);
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = untag(x);
    return o;
  }
  return v;
}

function tag(v) {
  if (typeof v === 'bigint') {
    return Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : { $bigint: v.toString() };
  }
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return v.map(tag);
  if (v instanceof Map) return { $map: [...v].map(([k, x]) => [tag(k), tag(x)]) };
  if (v !== null && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = tag(x);
    return o;
  }
  return v;
}

function header(h) {
  return { keyId: h.keyId, issuedAt: Number(h.issuedAtUnix), expires: Number(h.expiresUnix), chunks: h.chunks };
}

function failure(e) {
  if (e instanceof CookieSessionError) return { kind: e.kind, error: e.message };
  throw e;
}

const job = JSON.parse(readFileSync(0, 'utf8'));
const keys = loadKeyringSync(job.keyring);

function run(op) {
  try {
    switch (op.op) {
      case 'open': {
        const codec = new Codec(keys, op.codec);
        const r = op.chunks ? codec.openChunks(op.name, op.chunks) : codec.open(op.name, op.value);
        return { kind: 'ok', value: tag(r.value), header: header(r.header) };
      }
      case 'seal': {
        const codec = new Codec(keys, op.codec);
        return { kind: 'ok', sealed: codec.seal(op.name, untag(op.value)) };
      }
      case 'load': {
        const s = new SessionStore(keys, op.store).load(op.cookie);
        return {
          kind: 'ok',
          id: Buffer.from(s.id).toString('base64'),
          created: Number(s.createdUnix),
          data: tag(s.data),
          keyId: s.keyId,
          chunks: s.header.chunks,
          flashes: s.flashes,
          persistent: s.persistent,
        };
      }
      case 'sealSession': {
        const st = new SessionStore(keys, op.store);
        const s = st.seal({
          id: op.id ? new Uint8Array(Buffer.from(op.id, 'base64')) : undefined,
          data: untag(op.data),
          flashes: op.flashes,
          persistent: op.persistent,
        });
        return {
          kind: 'ok', id: Buffer.from(s.id).toString('base64'), created: Number(s.createdUnix), cookies: s.cookies,
          setCookies: st.setCookieHeaders({ id: s.id, createdUnix: s.createdUnix, data: untag(op.data), flashes: op.flashes, persistent: op.persistent }),
        };
      }
      case 'loadRaw': {
        // Seals the given bytes as a session's payload, then loads it as a
        // session: how the envelope rules judge what Go's store also judges.
        const raw = { name: 'raw', serialize: (b) => b, deserialize: () => null };
        const codec = new Codec(keys, { purpose: op.store.purpose, maxLength: 6144, serializer: raw });
        const sealed = codec.seal(op.store.name, new Uint8Array(Buffer.from(op.hex, 'hex')));
        let r;
        try {
          const s = new SessionStore(keys, op.store).load(`${op.store.name}=${sealed}`);
          r = { kind: 'ok', data: tag(s.data), created: Number(s.createdUnix), flashes: s.flashes, persistent: s.persistent };
        } catch (e) {
          r = failure(e);
        }
        return { ...r, sealed };
      }
      case 'keyring': {
        const ring = parseKeyring(op.text);
        return { kind: 'ok', keys: ring.keys().map((k) => `${k.id} ${k.state}`) };
      }
      case 'cbor': {
        decodeCBOR(new Uint8Array(Buffer.from(op.hex, 'hex')));
        return { kind: 'ok' };
      }
      case 'payloads': {
        // Many payloads at once: the class each gets from the serializer.
        const ser = op.serializer === 'json' ? json : cbor;
        const kinds = op.hex.map((h) => {
          try {
            ser.deserialize(new Uint8Array(Buffer.from(h, 'hex')));
            return 'ok';
          } catch (e) {
            return failure(e).kind;
          }
        });
        return { kind: 'ok', kinds };
      }
      default:
        throw new Error(`unknown op ${op.op}`);
    }
  } catch (e) {
    return failure(e);
  }
}

process.stdout.write(JSON.stringify(job.ops.map(run)));
