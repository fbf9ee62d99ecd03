/**
 * Wraps `run` so that calls never overlap: a call made while a run is in progress waits for one more run
 * that starts after it, and any number of such calls share that single follow-up run. A burst of webhook
 * deliveries or kicks therefore costs at most two passes.
 */
export function coalesce(run: () => Promise<void>): () => Promise<void> {
  let current: Promise<void> | undefined;
  let next: Promise<void> | undefined;

  function start(): Promise<void> {
    current = run().finally(() => {
      current = undefined;
    });
    return current;
  }

  return () => {
    if (current === undefined) return start();
    next ??= current.then(
      () => {
        next = undefined;
        return start();
      },
      () => {
        next = undefined;
        return start();
      },
    );
    return next;
  };
}
