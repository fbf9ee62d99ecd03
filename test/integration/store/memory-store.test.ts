import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { effectKeys, noticeEffect } from '../../../src/domain/effects.js';
import { t0 } from '../../helpers/builders.js';
import { createMemoryStore } from '../../helpers/memory-store.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('in memory', async () => ({ store: createMemoryStore() }));

describe('In-memory store', () => {
  it('wakes the runner after effects were queued, and not when nothing new was', async () => {
    let wakes = 0;
    const store = createMemoryStore({ onEnqueue: () => wakes++ });
    const notice = noticeEffect('n', 'T1', 'C1', { kind: 'text', text: 'hello' });

    await store.outbox.enqueue([notice], t0);
    await nextTurn();
    const afterNew = wakes;
    await store.outbox.enqueue([notice], t0);
    await nextTurn();

    expect(afterNew).toBe(1);
    expect(wakes).toBe(1);
    expect((await store.outbox.find(effectKeys.notice('n')))?.state).toBe('pending');
  });
});
