/**
 * Names, in under a millisecond, the objects reachable from a Python sandbox's
 * shared modules whose state changed since it was recorded: dicts (instance
 * attributes included), lists, sets, cells, the C structs of objects such as
 * random generators, caches and decimal contexts, the name, doc and attribute
 * dict of functions, and the name of classes. It compares the words of Pyodide's
 * heap that decide each object's state with a recorded copy; the prelude then
 * restores only the objects named (sb_cleanup), and this records them again.
 *
 * Every reading below is checked, object by object, against what Python lists
 * for the snapshot (sb_state_listing) before the watch is trusted; anything that
 * reads differently leaves the worker without it.
 */
import { readTable } from './dict-watch.ts';

/** How the listing says to read an object (the prelude's W_* numbers). */
const KIND_DICT = 0;
const KIND_LIST = 1;
const KIND_SET = 2;
const KIND_CELL = 3;
const KIND_BODY = 4;
const KIND_FUNCTION = 5;
const KIND_TYPE = 6;

/** Byte offsets in CPython 3.14's structs on wasm32, past the 8-byte object header. */
const HEADER = 8;
const LIST_SIZE = 8;
const LIST_ITEMS = 12;
const SET_USED = 12;
const SET_MASK = 16;
const SET_TABLE = 20;
/** A list's size, items pointer and allocation; a set's fill, used, mask and table pointer. */
const LIST_HEAD_WORDS = 3;
const SET_HEAD_WORDS = 4;
const SET_ENTRY_WORDS = 2;
const CELL_CONTENTS = 8;
/** PyDictObject from ma_used to ma_values; PyDictKeysObject from its shape to dk_nentries. */
const DICT_HEAD_WORDS = 6;
const KEYS_HEAD_WORDS = 4;
/** Room an object's record may grow into before every record is laid out again. */
const SLACK_WORDS = 8;

export interface StateListing {
  /** [kind, address, ...]: contents' addresses, a cell's contents, a body's size, a function's or class's fields. */
  items: number[][];
  /** [address, struct size, addresses of fields...] of a function (name, qualname, doc, dict) and a class (name, qualname). */
  probes: { function: number[]; type: number[] };
}

interface Layout {
  functionFields: number[];
  typeFields: number[];
}

/** Where, in a struct of `size` bytes at `address`, each of `fields` lies; null unless each is found exactly once. */
function findFields(heap: Uint32Array, probe: number[]): number[] | null {
  const [address, size, ...fields] = probe;
  if (address === undefined || size === undefined || address % 4 !== 0 || (address + size) / 4 > heap.length)
    return null;
  const offsets: number[] = [];
  for (const field of fields) {
    let found = -1;
    for (let offset = HEADER; offset < size; offset += 4) {
      if (heap[(address + offset) / 4] !== field) continue;
      if (found !== -1) return null;
      found = offset;
    }
    if (found === -1) return null;
    offsets.push(found);
  }
  return offsets;
}

/** [first word, word count] pairs deciding the object's state, or null when it does not read as listed. */
function spansOf(heap: Uint32Array, item: number[], layout: Layout, check: boolean): number[] | null {
  const [kind, address] = item;
  if (address === undefined || !Number.isSafeInteger(address) || address <= 0 || address % 4 !== 0) return null;
  const at = address / 4;
  if (at + HEADER / 4 + LIST_HEAD_WORDS + 2 > heap.length) return null;
  switch (kind) {
    case KIND_DICT: {
      const table = readTable(heap, address);
      if (!table) return null;
      if (check && !sameAddresses(table.items, item, 2)) return null;
      // Fewer, longer spans: the dict's whole head (used, watcher tag, keys, values) and the
      // keys object's shape to entry count. The words between change only with the contents.
      const [used, , , , shape, , , , entries, count] = table.spans;
      return [used!, DICT_HEAD_WORDS, shape!, KEYS_HEAD_WORDS, entries!, count!];
    }
    case KIND_LIST: {
      const size = heap[(address + LIST_SIZE) / 4]!;
      const items = heap[(address + LIST_ITEMS) / 4]! / 4;
      if (items + size > heap.length || (size > 0 && (items === 0 || !Number.isInteger(items)))) return null;
      if (check && !sameAddresses(Array.from(heap.subarray(items, items + size)), item, 2)) return null;
      return [at + HEADER / 4, LIST_HEAD_WORDS, items, size];
    }
    case KIND_SET: {
      const used = heap[(address + SET_USED) / 4]!;
      const slots = heap[(address + SET_MASK) / 4]! + 1;
      const table = heap[(address + SET_TABLE) / 4]! / 4;
      if (!Number.isInteger(table) || table === 0 || table + slots * SET_ENTRY_WORDS > heap.length) return null;
      if (check && !setReadsAsListed(heap, table, slots, used, item)) return null;
      return [at + HEADER / 4, SET_HEAD_WORDS, table, slots * SET_ENTRY_WORDS];
    }
    case KIND_CELL:
      if (check && heap[(address + CELL_CONTENTS) / 4] !== item[2]) return null;
      return [at + CELL_CONTENTS / 4, 1];
    case KIND_BODY: {
      const size = item[2];
      if (size === undefined || size <= HEADER || size % 4 !== 0 || at + size / 4 > heap.length) return null;
      return [at + HEADER / 4, (size - HEADER) / 4];
    }
    case KIND_FUNCTION:
    case KIND_TYPE: {
      const offsets = kind === KIND_FUNCTION ? layout.functionFields : layout.typeFields;
      for (let i = 0; i < offsets.length; i += 1) {
        const word = at + offsets[i]! / 4;
        if (word >= heap.length || (check && heap[word] !== item[2 + i])) return null;
      }
      // One span from the first field to the last: what lies between (a function's code,
      // defaults and closure) does not change either.
      const first = at + Math.min(...offsets) / 4;
      return [first, at + Math.max(...offsets) / 4 + 1 - first];
    }
    default:
      return null;
  }
}

function sameAddresses(read: ArrayLike<number>, item: number[], from: number): boolean {
  if (read.length !== item.length - from) return false;
  for (let i = 0; i < read.length; i += 1) if (read[i] !== item[from + i]) return false;
  return true;
}

/** The live keys of a set's table, in table order, are the listed ones; the rest of the used slots all hold the one dummy key. */
function setReadsAsListed(heap: Uint32Array, table: number, slots: number, used: number, item: number[]): boolean {
  const listed = new Set(item.slice(2));
  if (used !== listed.size || listed.size !== item.length - 2) return false;
  const live: number[] = [];
  let dummy = 0;
  for (let slot = 0; slot < slots; slot += 1) {
    const key = heap[table + slot * SET_ENTRY_WORDS]!;
    if (key === 0) continue;
    if (listed.has(key)) live.push(key);
    else if (dummy === 0 || dummy === key) dummy = key;
    else return false;
  }
  return sameAddresses(live, item, 2);
}

export class StateWatch {
  private readonly memory: () => ArrayBuffer;
  private readonly listing: StateListing;
  private readonly layout: Layout;
  /** Object i's spans are [itemSpans[i], itemSpans[i + 1]); span s covers spanLength[s] heap words from spanFirst[s]. */
  private readonly itemSpans: Int32Array;
  private readonly spanItem: Int32Array;
  private readonly spanFirst: Int32Array;
  private readonly spanLength: Int32Array;
  /** Where span s's recorded words start in `words`. */
  private readonly spanWord: Int32Array;
  /** Words object i may record before the records are laid out again. */
  private itemRoom = new Int32Array(0);
  private words = new Uint32Array(0);

  private constructor(memory: () => ArrayBuffer, listing: StateListing, layout: Layout, spans: number[][]) {
    this.memory = memory;
    this.listing = listing;
    this.layout = layout;
    this.itemSpans = new Int32Array(spans.length + 1);
    let count = 0;
    for (let i = 0; i < spans.length; i += 1) {
      this.itemSpans[i] = count;
      count += spans[i]!.length / 2;
    }
    this.itemSpans[spans.length] = count;
    this.spanItem = new Int32Array(count);
    for (let i = 0; i < spans.length; i += 1) this.spanItem.fill(i, this.itemSpans[i]!, this.itemSpans[i + 1]!);
    this.spanFirst = new Int32Array(count);
    this.spanLength = new Int32Array(count);
    this.spanWord = new Int32Array(count);
    this.itemRoom = new Int32Array(spans.length);
    for (let i = 0; i < spans.length; i += 1) {
      this.setSpans(i, spans[i]!);
      this.itemRoom[i] = wordCount(spans[i]!) + SLACK_WORDS;
    }
    this.layOut(new Uint32Array(memory()), new Set(spans.keys()), null);
  }

  /**
   * Starts watching the objects of `listing`, which must describe the heap as
   * it is now. Null when any object does not read exactly as listed (another
   * Pyodide, another layout): the caller then relies on Python's own checks.
   */
  static start(memory: () => ArrayBuffer, listing: StateListing): StateWatch | null {
    const heap = new Uint32Array(memory());
    const functionFields = findFields(heap, listing.probes.function);
    const typeFields = findFields(heap, listing.probes.type);
    if (!functionFields || !typeFields) return null;
    const layout = { functionFields, typeFields };
    const spans: number[][] = [];
    for (const item of listing.items) {
      const read = spansOf(heap, item, layout, true);
      if (!read) return null;
      spans.push(read);
    }
    return new StateWatch(memory, listing, layout, spans);
  }

  /** The indices of the objects whose watched words differ from their record. */
  changed(): number[] {
    const heap = new Uint32Array(this.memory());
    const { itemSpans, spanItem, spanFirst, spanLength, spanWord, words } = this;
    const found: number[] = [];
    // The heap never shrinks, and every span lay inside it when it was recorded.
    for (let s = 0; s < spanFirst.length; s += 1) {
      const first = spanFirst[s]!;
      const end = first + spanLength[s]!;
      for (let at = first, offset = spanWord[s]!; at < end; at += 1, offset += 1) {
        if (heap[at] !== words[offset]) {
          const item = spanItem[s]!;
          found.push(item);
          s = itemSpans[item + 1]! - 1;
          break;
        }
      }
    }
    return found;
  }

  /**
   * Takes the current state of the given objects as their record. Only call it
   * when Python has just found them as the snapshot holds them; every other
   * object keeps its record. False when one can no longer be read, after which
   * the watch proves nothing.
   */
  record(indices: readonly number[]): boolean {
    const heap = new Uint32Array(this.memory());
    const fresh = new Map<number, number[]>();
    for (const i of indices) {
      const spans = spansOf(heap, this.listing.items[i]!, this.layout, false);
      if (!spans || spans.length / 2 !== this.itemSpans[i + 1]! - this.itemSpans[i]!) return false;
      for (let k = 0; k < spans.length; k += 2) if (spans[k]! + spans[k + 1]! > heap.length) return false;
      fresh.set(i, spans);
    }
    let grown = false;
    for (const [i, spans] of fresh) {
      this.setSpans(i, spans);
      const count = wordCount(spans);
      if (count > this.itemRoom[i]!) {
        this.itemRoom[i] = count + SLACK_WORDS;
        grown = true;
      }
    }
    if (grown) this.layOut(heap, new Set(fresh.keys()), { words: this.words, spanWord: this.spanWord.slice() });
    else for (const i of fresh.keys()) this.copyWords(heap, i);
    return true;
  }

  private setSpans(i: number, spans: number[]): void {
    let s = this.itemSpans[i]!;
    for (let k = 0; k < spans.length; k += 2, s += 1) {
      this.spanFirst[s] = spans[k]!;
      this.spanLength[s] = spans[k + 1]!;
    }
  }

  /**
   * Gives every object its room in a new record, then fills it: from the heap
   * for `fromHeap`, from the previous record for the others.
   */
  private layOut(
    heap: Uint32Array,
    fromHeap: Set<number>,
    previous: { words: Uint32Array; spanWord: Int32Array } | null,
  ): void {
    let total = 0;
    const starts = new Int32Array(this.itemRoom.length);
    for (let i = 0; i < this.itemRoom.length; i += 1) {
      starts[i] = total;
      total += this.itemRoom[i]!;
    }
    this.words = new Uint32Array(total);
    for (let i = 0; i < this.itemRoom.length; i += 1) {
      let offset = starts[i]!;
      for (let s = this.itemSpans[i]!; s < this.itemSpans[i + 1]!; s += 1) {
        this.spanWord[s] = offset;
        offset += this.spanLength[s]!;
      }
      if (fromHeap.has(i) || !previous) this.copyWords(heap, i);
      else {
        const from = previous.spanWord[this.itemSpans[i]!]!;
        this.words.set(previous.words.subarray(from, from + offset - starts[i]!), starts[i]!);
      }
    }
  }

  /** Records object i's spans from the heap, into its room (laid out contiguously from its first span). */
  private copyWords(heap: Uint32Array, i: number): void {
    let offset = this.spanWord[this.itemSpans[i]!]!;
    for (let s = this.itemSpans[i]!; s < this.itemSpans[i + 1]!; s += 1) {
      const first = this.spanFirst[s]!;
      this.spanWord[s] = offset;
      this.words.set(heap.subarray(first, first + this.spanLength[s]!), offset);
      offset += this.spanLength[s]!;
    }
  }
}

function wordCount(spans: number[]): number {
  let count = 0;
  for (let i = 1; i < spans.length; i += 2) count += spans[i]!;
  return count;
}
