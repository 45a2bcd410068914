/**
 * The Python worker skips the prelude's own walk of the shared module and class
 * dicts when the dict watch proves them untouched. Here, against the real
 * prelude in an in-process Pyodide, every kind of change a tool could make to
 * such a dict must read as a change, and a listing that does not match the heap
 * must leave the worker without a watch.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DictWatch, type DictListing, type WatchGroup } from '../../server/sandbox/python/dict-watch.ts';
import { StateWatch, type StateListing } from '../../server/sandbox/python/state-watch.ts';
import { loadPrelude, type PreludeHarness } from '../helpers/pyodide-prelude.ts';

let listing: DictListing;
let watch: DictWatch;
/** The worker's other watch: the prelude's cleanup is told what it saw change. */
let state: StateWatch;

let python: PreludeHarness['python'];
let call: PreludeHarness['call'];
let heap: PreludeHarness['heap'];

beforeAll(async () => {
  ({ python, call, heap } = await loadPrelude());
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
