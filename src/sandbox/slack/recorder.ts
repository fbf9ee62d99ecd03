import type { ApiCall, ChangeListener, SlackFakeChange } from './types.js';

const defaultWaitMs = 5_000;

/** The fake's memory of what was asked of it, plus the change feed that tests and the sandbox UI subscribe to. */
export interface Recorder {
  emit(change: SlackFakeChange): void;
  /** Returns a function that unsubscribes the listener. */
  onChange(listener: ChangeListener): () => void;
  record(call: Omit<ApiCall, 'seq'>): ApiCall;
  calls(): ApiCall[];
  callsTo(method: string): ApiCall[];
  waitForCall(method: string, predicate?: (call: ApiCall) => boolean, timeoutMs?: number): Promise<ApiCall>;
  waitUntil<T>(probe: () => T | undefined | false, timeoutMs?: number, description?: string): Promise<T>;
  clear(): void;
}

export function createRecorder(): Recorder {
  const listeners = new Set<ChangeListener>();
  let calls: ApiCall[] = [];
  let seq = 0;

  function emit(change: SlackFakeChange): void {
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch (error) {
        // A broken UI subscriber must not turn into a failed Web API call for the bot; say so loudly instead.
        process.emitWarning(`Slack fake change listener threw: ${String(error)}`);
      }
    }
  }

  function onChange(listener: ChangeListener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /**
   * Resolves with the first non-undefined, non-false result of `probe`, checked now and after every change.
   * Event-driven: nothing polls, the timer only bounds how long to wait.
   */
  function waitUntil<T>(
    probe: () => T | undefined | false,
    timeoutMs = defaultWaitMs,
    description = 'condition',
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let unsubscribe = () => {};
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`Slack fake: timed out after ${timeoutMs} ms waiting for ${description}`));
      }, timeoutMs);
      const check = (): boolean => {
        let value: T | undefined | false;
        try {
          value = probe();
        } catch (error) {
          clearTimeout(timer);
          unsubscribe();
          reject(error);
          return true;
        }
        if (value === undefined || value === false) return false;
        clearTimeout(timer);
        unsubscribe();
        resolve(value);
        return true;
      };
      if (check()) return;
      unsubscribe = onChange(() => {
        check();
      });
    });
  }

  return {
    emit,
    onChange,
    waitUntil,
    record(call) {
      seq += 1;
      const recorded: ApiCall = { seq, ...call };
      calls.push(recorded);
      emit({ type: 'call', call: recorded });
      return recorded;
    },
    calls: () => [...calls],
    callsTo: (method) => calls.filter((call) => call.method === method),
    async waitForCall(method, predicate = () => true, timeoutMs = defaultWaitMs) {
      try {
        return await waitUntil(
          () => calls.find((call) => call.method === method && predicate(call)),
          timeoutMs,
          `a ${method} call`,
        );
      } catch (error) {
        const seen = calls.map((call) => call.method).join(', ') || 'none';
        throw new Error(`${String(error)} (calls so far: ${seen})`, { cause: error });
      }
    },
    clear() {
      calls = [];
    },
  };
}
