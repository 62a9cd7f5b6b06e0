// UTF-8 to a JavaScript string as Go reads it: every byte that is not part
// of a valid UTF-8 sequence becomes one U+FFFD (FORMAT.md, "Payload",
// JSON), so e2 82 28 reads as two U+FFFD and "(". TextDecoder replaces a
// truncated sequence as a whole (one U+FFFD for e2 82), which would read
// the same payload differently from the Go reader.

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// The length of the valid UTF-8 sequence at b[i], or 0 when there is none:
// no overlong form, no surrogate, nothing beyond U+10FFFF (RFC 3629).
function seqLen(b, i) {
  const c = b[i];
  const cont = (k) => i + k < b.length && (b[i + k] & 0xc0) === 0x80;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1];
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return 0;
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1];
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return 0;
    return 4;
  }
  return 0;
}

/**
 * Decodes bytes as UTF-8, one U+FFFD for each byte that is not part of a
 * valid sequence. A byte order mark is kept, as a character.
 * @param {Uint8Array} b
 */
export function decodeUTF8(b) {
  try {
    return strict.decode(b);
  } catch {
    // Not valid UTF-8: the slow path, bounded by the input's length.
  }
  let out = '';
  let start = 0;
  let i = 0;
  while (i < b.length) {
    const n = seqLen(b, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += strict.decode(b.subarray(start, i)) + '\ufffd';
    i++;
    start = i;
  }
  return out + strict.decode(b.subarray(start, i));
}

/**
 * The length in bytes of a value or Cookie header given as a string.
 * Node hands header bytes over as latin1, one character per byte, so a
 * string of characters up to U+00FF counts one byte each, as the Go
 * reader counts the same header; any other string is measured as UTF-8.
 * @param {string} s
 */
export function wireBytes(s) {
  // eslint-disable-next-line no-control-regex
  return /^[\u0000-\u00ff]*$/.test(s) ? s.length : Buffer.byteLength(s, 'utf8');
}
