import { test } from 'node:test';
import assert from 'node:assert/strict';
import { json, JSONNumber, MalformedError } from '../src/index.js';

const read = (text) => json.deserialize(typeof text === 'string' ? Buffer.from(text) : text);

test('JSON numbers decode without loss: a JSONNumber where no double holds the decimal', () => {
  const v = read('{"n":123456789012345678901234567890.5,"m":-1e400,"t":1e-400,"i":9007199254740993,"a":1.5,"b":1.10,"c":2e3,"d":0.1}');
  assert.deepEqual(v.n, new JSONNumber('123456789012345678901234567890.5'));
  assert.deepEqual(v.m, new JSONNumber('-1e400'));
  assert.deepEqual(v.t, new JSONNumber('1e-400'));
  assert.equal(v.i, 9007199254740993n);
  assert.deepEqual([v.a, v.b, v.c, v.d], [1.5, 1.1, 2000, 0.1]);
  // Written back as the numbers they were.
  assert.equal(Buffer.from(json.serialize(v)).toString(),
    '{"n":123456789012345678901234567890.5,"m":-1e400,"t":1e-400,"i":9007199254740993,"a":1.5,"b":1.1,"c":2000,"d":0.1}');
});

test('JSON payload rules: one value, whitespace, no BOM, 32 levels, last name wins, U+FFFD', () => {
  assert.deepEqual(read(' \t\r\n{"a":1}\n '), { a: 1 });
  assert.throws(() => read('{"a":1} {}'), MalformedError);
  assert.throws(() => read('\ufeff{"a":1}'), MalformedError);
  assert.throws(() => read(''), MalformedError);
  assert.deepEqual(read('['.repeat(32) + ']'.repeat(32)).flat(31), []);
  assert.throws(() => read('['.repeat(33) + ']'.repeat(33)), MalformedError);
  assert.deepEqual(read('{"s":"' + '['.repeat(40) + '"}'), { s: '['.repeat(40) });
  assert.deepEqual(read('{"a":1,"a":2}'), { a: 2 });
  assert.deepEqual(read(Buffer.from('7b2273223a22e28228227d', 'hex')), { s: '\ufffd\ufffd(' });
  assert.deepEqual(read('{"s":"\\ud800x"}'), { s: '\ufffdx' });
});
