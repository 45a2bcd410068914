/**
 * The sandbox's Python prelude in an in-process Pyodide, as the worker boots
 * it (warmed up and snapshotted), for tests of the worker's heap watches.
 */
import { loadPyodide, type PyodideAPI } from 'pyodide';
import type { PyCallable, PyProxy } from 'pyodide/ffi';
import { PRELUDE } from '../../server/sandbox/python/prelude.py.ts';

export interface PreludeHarness {
  pyodide: PyodideAPI;
  /** Runs Python in the prelude's namespace. */
  python(code: string): unknown;
  /** Calls one of the prelude's `sb_*` entry points and returns its answer as text. */
  call(name: string, ...args: string[]): string;
  /** Pyodide's wasm heap, as the watches read it. */
  heap(): ArrayBuffer;
}

export async function loadPrelude(): Promise<PreludeHarness> {
  const pyodide = await loadPyodide({ jsglobals: Object.create(null) as object, stdout: () => {}, stderr: () => {} });
  const namespace = pyodide.globals.get('dict')() as PyProxy;
  const python = (code: string): unknown => pyodide.runPython(code, { globals: namespace });
  const call = (name: string, ...args: string[]): string => String((namespace.get(name) as PyCallable)(...args));
  const heap = (): ArrayBuffer =>
    (pyodide as unknown as { _module: { HEAPU8: Uint8Array } })._module.HEAPU8.buffer as ArrayBuffer;
  python(PRELUDE);
  call('sb_warm_up');
  call('sb_snapshot');
  return { pyodide, python, call, heap };
}
