/**
 * Proves in microseconds that the module and class dicts a Python sandbox must
 * keep pristine still hold the very same key and value objects, by comparing
 * their tables in Pyodide's heap with a recorded copy. Checking the same in
 * Python costs milliseconds per job (tens of thousands of entries); a change
 * seen here only sends the prelude down its own slow path, which finds,
 * restores or reports it.
 *
 * The reading of CPython's dict layout below is checked, dict by dict, against
 * the ids Python reports for the snapshot (`sb_dict_listing`) before the watch
 * is trusted; if any dict reads differently the worker runs without it.
 */

/** Byte offsets in CPython 3.14's PyDictObject on wasm32 (Pyodide 314). */
const DICT_USED = 8;
const DICT_KEYS = 24;
const DICT_VALUES = 28;
/** Byte offsets in PyDictKeysObject: dk_log2_size, dk_log2_index_bytes and dk_kind share one word. */
const KEYS_SHAPE = 4;
const KEYS_ENTRY_COUNT = 16;
const KEYS_INDICES = 20;
const KIND_GENERAL = 0;
const KIND_UNICODE = 1;
/** Words per entry: hash, key, value for general tables; key, value for str-keyed ones. */
const GENERAL_ENTRY_WORDS = 3;
const UNICODE_ENTRY_WORDS = 2;
const MAX_LOG2_INDEX_BYTES = 28;

export type WatchGroup = 'classes' | 'modules';
export const WATCH_GROUPS: readonly WatchGroup[] = ['classes', 'modules'];

/** Per group, one array per dict: its address, then the ids of its keys and values in order. */
export type DictListing = Record<WatchGroup, number[][]>;

export interface Table {
  /** [first word, word count] pairs whose contents decide the dict's contents. */
  spans: number[];
  /** Key and value addresses of the live entries, in order. */
  items: number[];
}

/**
 * A combined-table dict's contents are its entries in [0, dk_nentries) with a
 * non-NULL value, in that order; together with ma_used, the keys object's
 * address and shape, and a NULL ma_values, equal words mean the same key and
 * value objects in the same order. Returns null for anything it cannot read.
 */
export function readTable(heap: Uint32Array, address: number): Table | null {
  if (!Number.isSafeInteger(address) || address <= 0 || address % 4 !== 0 || address / 4 + 8 > heap.length) return null;
  const used = heap[(address + DICT_USED) / 4]!;
  const keys = heap[(address + DICT_KEYS) / 4]!;
  if (heap[(address + DICT_VALUES) / 4] !== 0 || keys === 0 || keys % 4 !== 0 || keys / 4 + 5 > heap.length)
    return null;
  const shape = heap[(keys + KEYS_SHAPE) / 4]!;
  const log2IndexBytes = (shape >>> 8) & 0xff;
  const kind = (shape >>> 16) & 0xff;
  const entryWords = kind === KIND_GENERAL ? GENERAL_ENTRY_WORDS : kind === KIND_UNICODE ? UNICODE_ENTRY_WORDS : 0;
  if (entryWords === 0 || log2IndexBytes < 2 || log2IndexBytes > MAX_LOG2_INDEX_BYTES) return null;
  const count = heap[(keys + KEYS_ENTRY_COUNT) / 4]!;
  const first = (keys + KEYS_INDICES + 2 ** log2IndexBytes) / 4;
  const words = count * entryWords;
  if (first + words > heap.length) return null;
  const items: number[] = [];
  for (let at = first + entryWords - 2; at < first + words; at += entryWords) {
    if (heap[at + 1] !== 0) items.push(heap[at]!, heap[at + 1]!);
  }
  if (items.length !== used * 2) return null;
  const spans = [(address + DICT_USED) / 4, 1, (address + DICT_KEYS) / 4, 2, (keys + KEYS_SHAPE) / 4, 1];
  spans.push((keys + KEYS_ENTRY_COUNT) / 4, 1, first, words);
  return { spans, items };
}

interface Reference {
  spans: Int32Array;
  words: Uint32Array;
}

function sameItems(items: number[], listed: number[]): boolean {
  if (items.length !== listed.length - 1) return false;
  for (let i = 0; i < items.length; i += 1) if (items[i] !== listed[i + 1]) return false;
  return true;
}

export class DictWatch {
  private readonly memory: () => ArrayBuffer;
  private readonly addresses: Record<WatchGroup, number[]>;
  private records: Record<WatchGroup, Reference> | null = null;

  private constructor(memory: () => ArrayBuffer, listing: DictListing) {
    this.memory = memory;
    this.addresses = {
      classes: listing.classes.map((dict) => dict[0]!),
      modules: listing.modules.map((dict) => dict[0]!),
    };
  }

  /**
   * Starts watching the dicts of `listing`, which must describe the heap as it
   * is now. Null when the heap does not read exactly as listed (another
   * Pyodide, another layout): the caller then relies on Python's own checks.
   */
  static start(memory: () => ArrayBuffer, listing: DictListing): DictWatch | null {
    const heap = new Uint32Array(memory());
    for (const group of WATCH_GROUPS) {
      for (const listed of listing[group]) {
        const table = readTable(heap, listed[0] ?? 0);
        if (!table || !sameItems(table.items, listed)) return null;
      }
    }
    const watch = new DictWatch(memory, listing);
    return watch.record() ? watch : null;
  }

  /**
   * Takes the current contents as the reference. Only call it when they are
   * known to be the snapshot's (at start, or after Python found them so).
   * False when a dict can no longer be read, after which the watch proves nothing.
   */
  record(): boolean {
    const heap = new Uint32Array(this.memory());
    const records = {} as Record<WatchGroup, Reference>;
    for (const group of WATCH_GROUPS) {
      const spans: number[] = [];
      for (const address of this.addresses[group]) {
        const table = readTable(heap, address);
        if (!table) {
          this.records = null;
          return false;
        }
        spans.push(...table.spans);
      }
      let size = 0;
      for (let i = 1; i < spans.length; i += 2) size += spans[i]!;
      const words = new Uint32Array(size);
      let offset = 0;
      for (let i = 0; i < spans.length; i += 2) {
        words.set(heap.subarray(spans[i]!, spans[i]! + spans[i + 1]!), offset);
        offset += spans[i + 1]!;
      }
      records[group] = { spans: Int32Array.from(spans), words };
    }
    this.records = records;
    return true;
  }

  /** True only when every dict of the group holds exactly what was recorded. */
  unchanged(group: WatchGroup): boolean {
    const record = this.records?.[group];
    if (!record) return false;
    const heap = new Uint32Array(this.memory());
    const { spans, words } = record;
    let offset = 0;
    for (let i = 0; i < spans.length; i += 2) {
      const start = spans[i]!;
      const end = start + spans[i + 1]!;
      if (end > heap.length) return false;
      for (let at = start; at < end; at += 1, offset += 1) if (heap[at] !== words[offset]) return false;
    }
    return true;
  }
}
