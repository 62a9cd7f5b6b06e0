// cookiesession for Node.js: the wire and keyring formats of the Go
// package github.com/cookiesession/cookiesession (FORMAT.md).

export * from './errors.js';
export { Codec, peekChunks, OVERHEAD, MAX_CHUNKS } from './codec.js';
export { Keyring, Key, parseKeyring, loadKeyring, loadKeyringSync, isKeyId } from './keyring.js';
export { KeyringFile } from './watch.js';
export { SessionStore, readEnvelope, SESSION_ID_LENGTH, MAX_FLASHES, MAX_FLASH_BYTES } from './store.js';
export { splitValue, joinChunks, scanCookies, openCookieHeader, chunkLimit, chunkName, chunkCount, BROWSER_COOKIE_LIMIT, MAX_CANDIDATES, MAX_COOKIE_HEADER } from './chunk.js';
export { openBearerToken } from './bearer.js';
export { keyUsageHandler } from './usage.js';
export { cbor, json } from './serializer.js';
export { JSONNumber } from './json.js';
export { decodeCBOR, encodeCBOR, Tagged, Simple, MAX_NESTING, MAX_ELEMENTS } from './cbor.js';
export { parseRFC3339, formatRFC3339 } from './time.js';
