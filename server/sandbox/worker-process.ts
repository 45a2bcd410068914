/**
 * One sandbox child process: started with an empty environment and its
 * runtime's permission flags, talking JSON over IPC. Everything it sends is
 * handed on raw; the pool parses it as hostile input.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { dirname } from 'node:path';
import type { HostToSandbox } from './protocol.ts';

export interface WorkerLaunch {
  entry: string;
  execArgv: string[];
  args?: string[];
}

export interface WorkerProcess {
  readonly pid: number | undefined;
  /** False when the channel is gone (the process is dying). */
  send(message: HostToSandbox): boolean;
  kill(): void;
  /** Last bytes the process wrote to stderr, for crash logs. */
  stderrTail(): string;
}

export interface WorkerEvents {
  message(raw: unknown): void;
  /** Called exactly once, however the process ended. */
  exit(info: { code: number | null; signal: string | null }): void;
}

const STDERR_TAIL_CHARS = 2048;

export function spawnWorker(launch: WorkerLaunch, events: WorkerEvents): WorkerProcess {
  let stderr = '';
  let exited = false;
  const child: ChildProcess = fork(launch.entry, launch.args ?? [], {
    execArgv: launch.execArgv,
    env: {},
    cwd: dirname(launch.entry),
    serialization: 'json',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const onExit = (code: number | null, signal: string | null): void => {
    if (exited) return;
    exited = true;
    events.exit({ code, signal });
  };
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
  });
  child.on('message', (raw: unknown) => {
    if (!exited) events.message(raw);
  });
  child.on('exit', onExit);
  child.on('error', () => {
    // Spawn failures and send errors: make sure the process is gone; 'exit' reports it.
    child.kill('SIGKILL');
    if (child.pid === undefined) onExit(null, null);
  });
  return {
    get pid() {
      return child.pid;
    },
    send(message) {
      if (exited || !child.connected) return false;
      try {
        return child.send(message, (error) => {
          if (error) child.kill('SIGKILL');
        });
      } catch {
        child.kill('SIGKILL');
        return false;
      }
    },
    kill() {
      if (!exited) child.kill('SIGKILL');
    },
    stderrTail: () => stderr,
  };
}
