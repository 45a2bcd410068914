/**
 * The Python worker learns which shared objects a job changed from the state
 * watch, and the prelude restores only those. Here, against the real prelude
 * in an in-process Pyodide, every kind of change a tool could make through the
 * default modules must be named, the cleanup must bring it back (or refuse to
 * call the interpreter clean when it cannot), and a listing that does not match
 * the heap must leave the worker without a watch.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DictWatch, WATCH_GROUPS, type DictListing } from '../../server/sandbox/python/dict-watch.ts';
import { StateWatch, type StateListing } from '../../server/sandbox/python/state-watch.ts';
import { loadPrelude, type PreludeHarness } from '../helpers/pyodide-prelude.ts';

let listing: StateListing;
let state: StateWatch;
let dicts: DictWatch;

let python: PreludeHarness['python'];
let call: PreludeHarness['call'];
let heap: PreludeHarness['heap'];

/**
 * The worker's cleanup, as worker.ts runs it: what the watch saw change goes to
 * the prelude, which restores it; what changed meanwhile (released objects'
 * weak references, a stream flushed into its buffer) takes another pass.
 */
function cleanUp(): { clean: boolean; tainted: string[] } {
  call('sb_end_job');
  let changed = state.changed();
  for (;;) {
    const proven = WATCH_GROUPS.filter((group) => dicts.unchanged(group)).join(' ');
    const reply = JSON.parse(call('sb_cleanup', proven, changed.join(' '))) as {
      clean: boolean;
      tainted: string[];
      recheck: boolean;
    };
    if (!reply.clean) return reply;
    expect(state.record(changed)).toBe(true);
    expect(dicts.record()).toBe(true);
    if (!reply.recheck) return reply;
    changed = state.changed();
    if (changed.length === 0) return reply;
  }
}

/** The index in the listing of the object a Python expression evaluates to. */
function indexOf(expression: string): number {
  return Number(python(`next(i for i, o in enumerate(_watched.objects) if o is (${expression}))`));
}

beforeAll(async () => {
  ({ python, call, heap } = await loadPrelude());
  python(
    'import calendar, collections.abc, decimal, hashlib, html.entities, ipaddress, json, random, re, sys, urllib.parse',
  );
  listing = JSON.parse(call('sb_state_listing')) as StateListing;
  const started = StateWatch.start(heap, listing);
  const startedDicts = DictWatch.start(heap, JSON.parse(call('sb_dict_listing')) as DictListing);
  if (!started || !startedDicts) throw new Error('the watches did not start');
  state = started;
  dicts = startedDicts;
}, 60_000);

describe('python sandbox: the state watch', () => {
  it('names nothing when nothing changed', () => {
    expect(state.changed()).toEqual([]);
    expect(cleanUp()).toMatchObject({ clean: true });
  });

  // [what, the object that changes, the change, a check that must hold after the cleanup]
  const restored: Array<[string, string, string, string]> = [
    [
      'an entry added to a dict a module holds',
      'html.entities.html5',
      "html.entities.html5['planted;'] = 'x'",
      "'planted;' not in html.entities.html5",
    ],
    [
      'a value replaced in a dict',
      'html.entities.html5',
      "html.entities.html5['amp;'] = 'x'",
      "html.entities.html5['amp;'] == '&'",
    ],
    [
      'a list emptied',
      'urllib.parse.uses_relative',
      'urllib.parse.uses_relative.clear()',
      "'https' in urllib.parse.uses_relative",
    ],
    [
      'a set grown',
      'hashlib.algorithms_available',
      "hashlib.algorithms_available.add('planted')",
      "'planted' not in hashlib.algorithms_available",
    ],
    ["an instance's attribute", 'vars(calendar.c)', 'calendar.setfirstweekday(6)', 'calendar.firstweekday() == 0'],
    [
      'an attribute added to an instance that had it inline',
      'vars(ipaddress.IPv4Address._constants._linklocal_network)',
      'ipaddress.IPv4Address._constants._linklocal_network.planted = 1',
      "not hasattr(ipaddress.IPv4Address._constants._linklocal_network, 'planted')",
    ],
    [
      "an enum member's attribute",
      'vars(re.IGNORECASE)',
      "re.IGNORECASE._name_ = 'planted'",
      "repr(re.IGNORECASE) == 're.IGNORECASE'",
    ],
    [
      'a slot',
      'ipaddress.IPv4Address._constants._linklocal_network.network_address',
      'ipaddress.IPv4Address._constants._linklocal_network.network_address._ip = 1',
      "str(ipaddress.IPv4Address._constants._linklocal_network.network_address) == '169.254.0.0'",
    ],
    ["a function's name", 'json.dumps', "json.dumps.__name__ = 'planted'", "json.dumps.__name__ == 'dumps'"],
    ["a function's doc", 'json.dumps', "json.dumps.__doc__ = 'planted'", "json.dumps.__doc__.startswith('Serialize')"],
    ['an attribute set on a function', 'json.loads', 'json.loads.planted = 1', "not hasattr(json.loads, 'planted')"],
    [
      "a class's name",
      'json.JSONEncoder',
      "json.JSONEncoder.__name__ = 'Planted'",
      "json.JSONEncoder.__name__ == 'JSONEncoder'",
    ],
    [
      "a cell's contents",
      '_watched.objects[next(i for i, k in enumerate(_watched.kinds) if k == W_CELL)]',
      "_watched.objects[next(i for i, k in enumerate(_watched.kinds) if k == W_CELL)].cell_contents = 'planted'",
      "_watched.objects[next(i for i, k in enumerate(_watched.kinds) if k == W_CELL)].cell_contents != 'planted'",
    ],
    [
      'the random generator (reseeded, not rewound)',
      'random._inst',
      'random.seed(42)',
      'random.random() != random.Random(42).random()',
    ],
    [
      'a cache (cleared)',
      'urllib.parse.urlsplit',
      "urllib.parse.urlsplit('https://planted.example/')",
      'urllib.parse.urlsplit.cache_info().currsize == 0',
    ],
    [
      "an ABC's caches (reset)",
      'collections.abc.Sized._abc_impl',
      "isinstance(type('Sized', (), {'__len__': lambda self: 0})(), collections.abc.Sized)",
      'True',
    ],
    [
      'the decimal context jobs start in',
      'decimal.getcontext()',
      'decimal.getcontext().prec = 3',
      'decimal.getcontext().prec == 28 and not decimal.getcontext().flags[decimal.Inexact]',
    ],
    [
      'a decimal template context',
      'decimal.DefaultContext',
      'decimal.DefaultContext.rounding = decimal.ROUND_DOWN',
      'decimal.DefaultContext.rounding == decimal.ROUND_HALF_EVEN',
    ],
    ['a stream written to', 'sys.stdout', "sys.stdout.write('x' * 10)", 'not sys.stdout.closed'],
  ];

  it.each(restored)('names %s, and the cleanup restores it', (_name, target, change, check) => {
    const index = indexOf(target);
    python(change);
    expect(state.changed()).toContain(index);
    expect(cleanUp()).toMatchObject({ clean: true });
    expect(state.changed().map((i) => python(`_describe_watched(${i})`))).toEqual([]);
    expect(python(check)).toBe(true);
    cleanUp(); // the check may have used what it checks (random draws)
  });

  // Each of these retires the process; the cleanup must say so. Run last: they are not undone.
  const unrestorable: Array<[string, string, RegExp]> = [
    ['a registration with an ABC', 'collections.abc.Sequence.register(dict)', /^state builtins\.set /],
    [
      'a C object it cannot read back (an advanced counter)',
      'next(_watched.objects[next(i for i, o in enumerate(_watched.objects) if type(o).__name__ == "count")])',
      /^state itertools\.count /,
    ],
  ];

  it.each(unrestorable)('names %s, and the cleanup reports it', (_name, change, reported) => {
    python(change);
    expect(state.changed()).not.toEqual([]);
    const reply = cleanUp();
    expect(reply.clean).toBe(false);
    expect(reply.tainted).toContainEqual(expect.stringMatching(reported));
  });

  it('refuses a listing the heap does not match', () => {
    const moved = structuredClone(listing);
    const list = moved.items.findIndex((item) => item[0] === 1 && item.length > 3);
    moved.items[list]![2] = moved.items[list]![2]! + 4;
    expect(StateWatch.start(heap, moved)).toBeNull();
    const probe = structuredClone(listing);
    probe.probes.function[2] = probe.probes.function[2]! + 4;
    expect(StateWatch.start(heap, probe)).toBeNull();
  });
});
