/**
 * Guest-side code applied to every fresh context before the user's module.
 *
 * The script evaluates to a factory that receives the two host callbacks
 * (log, fetch submit) and the log line cap, builds `console` and `fetch` on top
 * of them and returns `[begin, run, deliver]` to the host. The raw callbacks
 * live only in this closure: no global, property or argument passed to
 * user-reachable code ever holds them. Every built-in used after user code
 * starts is captured here first, so a user who rewrites `JSON.stringify` or
 * `String.prototype.slice` only changes what their own code sees.
 *
 * The factory runs before any job is known (a worker prepares the next
 * isolate while it is idle), so nothing job-specific is in it: `begin`
 * installs the job's `secrets` and result budget, once, before the user's
 * module is evaluated.
 *
 * hostLog(text) → boolean (false = the log is full);
 * hostFetch(requestJson) → number ticket | string refusal;
 * hostProgress(text) → nothing (the host drops what is over its limits);
 * begin(secretsJson, maxResultChars);
 * `run(namespace, parametersJson, contextJson, entryNames)` resolves to a tagged
 * string: `R` + JSON `{ value }`, `E` + JSON `{ message, stack }` (thrown),
 * `I` + message (result not serializable or too large), `C` + message (no entry).
 *
 * It is our own code, compiled once per process; the V8 code cache the worker
 * keeps is produced from this source only (see prepared-isolate.ts).
 */
export const BOOTSTRAP_SOURCE = String.raw`
(function bootstrap(hostLog, hostFetch, hostProgress, MAX_LINE_CHARS, MAX_PROGRESS_CHARS) {
'use strict';
let MAX_RESULT_CHARS = 0;

const G = globalThis;
const apply = Reflect.apply;
const construct = Reflect.construct;
const { stringify, parse } = JSON;
const { freeze, create, keys, defineProperty } = Object;
const isArray = Array.isArray;
const StringCtor = String;
const PromiseCtor = Promise;
const ErrorCtor = Error;
const TypeErrorCtor = TypeError;
const RangeErrorCtor = RangeError;
const sliceString = String.prototype.slice;
const toLower = String.prototype.toLowerCase;
const toUpper = String.prototype.toUpperCase;
const rejectWith = (error) => apply(PromiseCtor.reject, PromiseCtor, [error]);

const slice = (text, max) => (text.length > max ? apply(sliceString, text, [0, max]) : text);
const lower = (text) => apply(toLower, text, []);

function safeString(value) {
  try {
    if (typeof value === 'string') return value;
    if (typeof value === 'symbol') return apply(Symbol.prototype.toString, value, []);
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return StringCtor(value);
    if (typeof value === 'function') return '[Function]';
    const stack = value.stack;
    if (typeof stack === 'string' && value instanceof ErrorCtor) return stack;
    const json = stringify(value);
    return typeof json === 'string' ? json : StringCtor(value);
  } catch {
    try {
      return StringCtor(value);
    } catch {
      return '[unprintable]';
    }
  }
}

let logOpen = true;
function makeLogger(prefix) {
  return function log(...args) {
    if (!logOpen) return;
    let text = prefix;
    for (let i = 0; i < args.length; i++) {
      if (i > 0) text += ' ';
      text += safeString(args[i]);
      if (text.length > MAX_LINE_CHARS) break;
    }
    if (hostLog(slice(text, MAX_LINE_CHARS)) === false) logOpen = false;
  };
}
const consoleObject = freeze({
  log: makeLogger(''),
  info: makeLogger(''),
  debug: makeLogger(''),
  warn: makeLogger('[warn] '),
  error: makeLogger('[error] '),
});

// context.progress(message): fire-and-forget; never throws, whatever the message or the limits.
function progress(message) {
  try {
    hostProgress(slice(safeString(message), MAX_PROGRESS_CHARS));
  } catch {
    // Dropped: progress is best effort.
  }
}

const waiting = create(null);

function requestHeaders(source) {
  const out = create(null);
  if (source === undefined || source === null) return out;
  if (typeof source !== 'object') throw new TypeErrorCtor('fetch: headers must be an object');
  if (isArray(source)) {
    for (let i = 0; i < source.length; i++) {
      const pair = source[i];
      out[lower(StringCtor(pair[0]))] = StringCtor(pair[1]);
    }
    return out;
  }
  const names = keys(source);
  for (let i = 0; i < names.length; i++) out[lower(StringCtor(names[i]))] = StringCtor(source[names[i]]);
  return out;
}

function fetch(input, init) {
  try {
    const url = typeof input === 'string' ? input : StringCtor(input !== null && typeof input === 'object' && typeof input.url === 'string' ? input.url : input);
    const options = init === undefined || init === null ? {} : init;
    const method = options.method === undefined ? 'GET' : apply(toUpper, StringCtor(options.method), []);
    const headers = requestHeaders(options.headers);
    const body = options.body;
    if (body !== undefined && body !== null && typeof body !== 'string') {
      throw new TypeErrorCtor('fetch: body must be a string (use JSON.stringify)');
    }
    const request = { url, method, headers };
    if (typeof body === 'string') request.body = body;
    const ticket = hostFetch(stringify(request));
    if (typeof ticket === 'string') throw new TypeErrorCtor(ticket);
    return new PromiseCtor((resolve, reject) => {
      waiting[ticket] = { resolve, reject };
    });
  } catch (error) {
    return rejectWith(error);
  }
}

function makeResponse(url, status, headerMap, body) {
  const headers = freeze({
    get: (name) => {
      const value = headerMap[lower(StringCtor(name))];
      return value === undefined ? null : value;
    },
    has: (name) => headerMap[lower(StringCtor(name))] !== undefined,
    entries: () => {
      const names = keys(headerMap);
      const out = [];
      for (let i = 0; i < names.length; i++) out[i] = [names[i], headerMap[names[i]]];
      return out;
    },
  });
  return freeze({
    url,
    status,
    ok: status >= 200 && status < 300,
    headers,
    text: async () => body,
    json: async () => parse(body),
  });
}

function deliver(ticket, ok, payload) {
  const entry = waiting[ticket];
  if (entry === undefined) return;
  delete waiting[ticket];
  if (!ok) {
    entry.reject(new TypeErrorCtor('fetch failed: ' + payload));
    return;
  }
  const response = parse(payload);
  const headerMap = create(null);
  const names = keys(response.headers);
  for (let i = 0; i < names.length; i++) headerMap[lower(names[i])] = response.headers[names[i]];
  entry.resolve(makeResponse(response.url, response.status, headerMap, response.body));
}

function describe(error) {
  let message = 'Uncaught exception';
  let stack = '';
  try {
    if (error !== null && (typeof error === 'object' || typeof error === 'function')) {
      const name = error.name;
      const text = error.message;
      message = typeof text === 'string' ? (typeof name === 'string' && name !== '' ? name + ': ' : '') + text : 'Uncaught ' + safeString(error);
      const trace = error.stack;
      if (typeof trace === 'string') stack = trace;
    } else {
      message = 'Uncaught ' + safeString(error);
    }
  } catch {
    // A throwing getter on the thrown value: keep the generic message.
  }
  return stringify({ message: slice(message, 4096), stack: slice(stack, 4096) });
}

function serialize(value) {
  let budget = MAX_RESULT_CHARS;
  const wrapper = { value };
  const replacer = function (key, item) {
    budget -= key.length + 4;
    const kind = typeof item;
    if (kind === 'function' || kind === 'symbol' || kind === 'bigint') {
      throw new TypeErrorCtor('a ' + kind + ' cannot be returned' + (this === wrapper ? '' : ' (at key "' + slice(key, 100) + '")'));
    }
    budget -= kind === 'string' ? item.length : 8;
    if (budget < 0) throw new RangeErrorCtor('the result is larger than ' + MAX_RESULT_CHARS + ' bytes');
    return item;
  };
  return stringify(wrapper, replacer);
}

async function run(namespace, parametersJson, contextJson, entryNames) {
  let entry;
  for (let i = 0; i < entryNames.length && entry === undefined; i++) {
    try {
      const candidate = namespace[entryNames[i]];
      if (typeof candidate === 'function') entry = candidate;
    } catch {
      // An export still in its temporal dead zone is not an entry point.
    }
  }
  if (entry === undefined) return 'C' + 'no entry function found';
  let value;
  try {
    const context = parse(contextJson);
    defineProperty(context, 'progress', { value: progress, writable: false, configurable: false, enumerable: false });
    value = await entry(parse(parametersJson), freeze(context));
  } catch (error) {
    return 'E' + describe(error);
  }
  try {
    return 'R' + serialize(value);
  } catch (error) {
    let message = 'the result cannot be serialized';
    try {
      if (error instanceof ErrorCtor && typeof error.message === 'string') message = slice(error.message, 4096);
    } catch {
      // keep the generic message
    }
    return 'I' + message;
  }
}

let begun = false;
function begin(secretsJson, maxResultChars) {
  if (begun) throw new ErrorCtor('the job has already begun');
  begun = true;
  MAX_RESULT_CHARS = maxResultChars;
  defineProperty(G, 'secrets', { value: freeze(parse(secretsJson)), writable: false, configurable: false, enumerable: false });
}

defineProperty(G, 'console', { value: consoleObject, writable: true, configurable: true, enumerable: false });
defineProperty(G, 'fetch', { value: fetch, writable: true, configurable: true, enumerable: false });
// Shared memory and WebAssembly are not part of the tool API and only widen the attack surface.
delete G.SharedArrayBuffer;
delete G.Atomics;
delete G.WebAssembly;
// Resizable buffers commit memory outside the allocator isolated-vm counts: without resize
// (and transfer, which can grow one) a buffer holds exactly what its constructor was charged.
delete ArrayBuffer.prototype.resize;
delete ArrayBuffer.prototype.transfer;
const FixedArrayBuffer = ArrayBuffer;
function ArrayBufferWithoutResize(length, options) {
  if (new.target === undefined) throw new TypeErrorCtor("Constructor ArrayBuffer requires 'new'");
  if (options !== undefined && options !== null && typeof options === 'object' && 'maxByteLength' in options) {
    throw new RangeErrorCtor('resizable ArrayBuffers are not available in tools');
  }
  return construct(FixedArrayBuffer, [length], new.target);
}
defineProperty(ArrayBufferWithoutResize, 'prototype', { value: FixedArrayBuffer.prototype });
defineProperty(ArrayBufferWithoutResize, 'isView', { value: FixedArrayBuffer.isView });
defineProperty(FixedArrayBuffer.prototype, 'constructor', { value: ArrayBufferWithoutResize, writable: true, configurable: true, enumerable: false });
defineProperty(G, 'ArrayBuffer', { value: ArrayBufferWithoutResize, writable: true, configurable: true, enumerable: false });

return [begin, run, deliver];
})
`;
