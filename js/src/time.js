// Instants as BigInt nanoseconds since the Unix epoch: the vectors open at
// nanosecond precision, which a Date (milliseconds) cannot hold.

export const NS = 1_000_000_000n;

/**
 * Converts what a clock returns (a Date, or BigInt Unix nanoseconds) into
 * BigInt nanoseconds.
 * @param {Date | bigint} t
 */
export function toNanos(t) {
  if (typeof t === 'bigint') return t;
  if (t instanceof Date) {
    const ms = t.getTime();
    if (!Number.isFinite(ms)) throw new TypeError('cookiesession: invalid Date');
    return BigInt(ms) * 1_000_000n;
  }
  throw new TypeError('cookiesession: a time is a Date or BigInt nanoseconds');
}

/**
 * Seconds as a number (with a fraction, if any) to BigInt nanoseconds,
 * exact to the nanosecond where the number is: the whole seconds and the
 * fraction are converted apart, so large values lose no nanoseconds to
 * the product.
 * @param {number} s a finite number of seconds
 */
export function secondsToNanos(s) {
  const whole = Math.floor(s);
  return BigInt(whole) * NS + BigInt(Math.round((s - whole) * 1e9));
}

/** The current time as BigInt Unix nanoseconds. */
export function systemNow() {
  return BigInt(Date.now()) * 1_000_000n;
}

/** Whole Unix seconds, rounded down (towards the past). */
export function floorSeconds(ns) {
  const s = ns / NS;
  return ns < 0n && s * NS !== ns ? s - 1n : s;
}

/** A Date for Unix seconds, or an Invalid Date beyond a Date's range. */
export function dateOfSeconds(s) {
  const limit = 8_640_000_000_000n; // a Date's range, in seconds either side of the epoch
  if (s > limit || s < -limit) return new Date(NaN);
  return new Date(Number(s) * 1000);
}

function daysFromCivil(y, m, d) {
  // Howard Hinnant's days_from_civil, proleptic Gregorian.
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysIn(y, m) {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 date-time as FORMAT.md allows it: upper-case T and Z,
 * at most nine fraction digits, fields in range (no leap second, no offset
 * of 24 hours or more). Returns BigInt nanoseconds, or null.
 * @param {string} s
 */
export function parseRFC3339(s) {
  const m = RFC3339.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59) return null;
  let off = 0;
  if (!m[8]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    off = (oh * 60 + om) * 60 * (m[9] === '-' ? -1 : 1);
  }
  const secs = BigInt(daysFromCivil(y, mo, d)) * 86400n + BigInt(h * 3600 + mi * 60 + sec - off);
  const frac = m[7] ? BigInt(m[7].padEnd(9, '0')) : 0n;
  return secs * NS + frac;
}

/** Formats BigInt nanoseconds as RFC 3339 in UTC, with the fraction only when not zero. */
export function formatRFC3339(ns) {
  const s = floorSeconds(ns);
  const frac = ns - s * NS;
  const iso = dateOfSeconds(s).toISOString().replace('.000Z', '');
  if (frac === 0n) return iso + 'Z';
  return iso + '.' + frac.toString().padStart(9, '0').replace(/0+$/, '') + 'Z';
}
