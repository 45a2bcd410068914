/**
 * The Python worker skips the prelude's own walk of the shared module and class
 * dicts when the dict watch proves them untouched. Here, against the real
 * prelude in an in-process Pyodide, every kind of change a tool could make to
 * such a dict must read as a change, and a listing that does not match the heap
 * must leave the worker without a watch.
 */
import { loadPyodide, type PyodideAPI } from 'pyodide';
import type { PyCallable, PyProxy } from 'pyodide/ffi';
import { beforeAll, describe, expect, it } from 'vitest';
import { DictWatch, type DictListing, type WatchGroup } from '../../server/sandbox/python/dict-watch.ts';
import { PRELUDE } from '../../server/sandbox/python/prelude.py.ts';
import { StateWatch, type StateListing } from '../../server/sandbox/python/state-watch.ts';

let pyodide: PyodideAPI;
let namespace: PyProxy;
let listing: DictListing;
let watch: DictWatch;
/** The worker's other watch: the prelude's cleanup is told what it saw change. */
let state: StateWatch;

function python(code: string): unknown {
  return pyodide.runPython(code, { globals: namespace });
}

function call(name: string, ...args: string[]): string {
  return String((namespace.get(name) as PyCallable)(...args));
}

function heap(): ArrayBuffer {
  return (pyodide as unknown as { _module: { HEAPU8: Uint8Array } })._module.HEAPU8.buffer as ArrayBuffer;
}

beforeAll(async () => {
  pyodide = await loadPyodide({ jsglobals: Object.create(null) as object, stdout: () => {}, stderr: () => {} });
  namespace = pyodide.globals.get('dict')() as PyProxy;
  python(PRELUDE);
  call('sb_warm_up');
  call('sb_snapshot');
  listing = JSON.parse(call('sb_dict_listing')) as DictListing;
  const started = DictWatch.start(heap, listing);
  if (!started) throw new Error('the dict watch did not start');
  watch = started;
  const stateStarted = StateWatch.start(heap, JSON.parse(call('sb_state_listing')) as StateListing);
  if (!stateStarted) throw new Error('the state watch did not start');
  state = stateStarted;
}, 60_000);

describe('python sandbox: the dict watch', () => {
  it('covers every class and module dict the prelude guards', () => {
    const [classes, modules] = JSON.parse(
      String(python("json.dumps([len(_pristine['classes']), len(_pristine['dicts']) + 1])")),
    ) as [number, number];
    expect(listing.classes).toHaveLength(classes);
    expect(listing.modules).toHaveLength(modules);
    expect(watch.unchanged('classes')).toBe(true);
    expect(watch.unchanged('modules')).toBe(true);
  });

  it('proves a job that touched nothing shared unchanged', () => {
    const spec = {
      code: "import json, re\ndef execute_tool(parameters, context):\n    return json.dumps(re.findall('a', 'banana'))",
      parameters: {},
      context: {},
      secrets: {},
      allowedImports: [],
      maxLogLines: 10,
      maxLogBytes: 1024,
      maxLogLineBytes: 1024,
      logTruncatedMarker: '…',
      maxResultBytes: 1024,
      maxResultDepth: 8,
      maxFetches: 1,
      deadline: Date.now() + 10_000,
    };
    expect(call('sb_start', JSON.stringify(spec))).toBe('{"state":"returned"}');
    expect(JSON.parse(call('sb_finish', 'classes'))).toMatchObject({ ok: true });
    expect(watch.unchanged('classes')).toBe(true);
    expect(watch.unchanged('modules')).toBe(true);
    call('sb_end_job');
    const changed = state.changed();
    expect(JSON.parse(call('sb_cleanup', 'classes modules', changed.join(' ')))).toMatchObject({ clean: true });
    expect(state.record(changed)).toBe(true);
  });

  const changes: Array<[string, WatchGroup, string]> = [
    ['a module attribute rebound', 'modules', 'json.dumps = len'],
    ['a module attribute added', 'modules', 'json.extra = 1'],
    ['a module attribute removed', 'modules', 'del json.loads'],
    ['a module attribute removed and put back', 'modules', 'kept = json.dumps\ndel json.dumps\njson.dumps = kept'],
    ['an equal but distinct value', 'modules', "import string\nstring.digits = ''.join(list(string.digits))"],
    ['a non-string key', 'modules', 'vars(json)[1] = 1'],
    ['a builtin replaced', 'modules', 'builtins.ascii = repr'],
    ['a module added to sys.modules', 'modules', "sys.modules['planted'] = types.ModuleType('planted')"],
    ['a module replaced in sys.modules', 'modules', "sys.modules['json'] = types.ModuleType('json')"],
    ['a method replaced', 'classes', 'json.JSONEncoder.default = lambda self, o: 1'],
    ['a class attribute added', 'classes', 'json.JSONDecoder.extra = 1'],
    ['a class attribute removed', 'classes', 'del json.JSONDecoder.decode'],
    ["a prelude class's method replaced", 'classes', 'Response.json = lambda self: 1'],
  ];

  it.each(changes)('sees %s', (_name, group, change) => {
    python(change);
    expect(watch.unchanged(group)).toBe(false);
    // The prelude's slow path puts everything back; from there the watch proves it again.
    const changed = state.changed();
    call('sb_cleanup', '', changed.join(' '));
    expect(state.record(changed)).toBe(true);
    expect(watch.record()).toBe(true);
    expect(watch.unchanged('classes')).toBe(true);
    expect(watch.unchanged('modules')).toBe(true);
  });

  it('refuses a listing the heap does not match', () => {
    const moved = structuredClone(listing);
    moved.modules[0]![1] = moved.modules[0]![1]! + 4;
    expect(DictWatch.start(heap, moved)).toBeNull();
    const missing = structuredClone(listing);
    missing.classes[0]!.pop();
    expect(DictWatch.start(heap, missing)).toBeNull();
  });
});
