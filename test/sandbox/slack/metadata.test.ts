import { describe, expect, it } from 'vitest';
import { sandboxIds as ids } from '../../../src/sandbox/slack/default-workspace.js';
import { platformError, useFakeWithClient } from './helpers.js';

const cardMetadata = { event_type: 'countersign_card', event_payload: { key: 'card:apr_1', version: 1 } };

describe('Slack fake message metadata', () => {
  const ctx = useFakeWithClient();

  it('stores the metadata chat.postMessage sends and returns it on the message', async () => {
    const posted = await ctx.client.chat.postMessage({
      channel: ids.financeApprovals,
      text: 'card',
      metadata: cardMetadata,
    });

    expect(posted.message?.metadata).toEqual(cardMetadata);
    expect(ctx.fake.message(ids.financeApprovals, posted.ts ?? '')?.metadata).toEqual(cardMetadata);
  });

  it('accepts metadata as a JSON string, in a form body or a JSON body', async () => {
    const asString = JSON.stringify(cardMetadata);
    const form = await ctx.client.apiCall('chat.postMessage', {
      channel: ids.financeApprovals,
      text: 'form',
      metadata: asString,
    });
    const json = await fetch(`${ctx.fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ctx.fake.botToken}`,
        'content-type': 'application/json; charset=utf-8',
      },
      body: JSON.stringify({ channel: ids.financeApprovals, text: 'json', metadata: asString }),
    }).then((response) => response.json() as Promise<{ ok: boolean; ts: string }>);

    expect(form.ok).toBe(true);
    expect(json.ok).toBe(true);
    expect(ctx.fake.messages(ids.financeApprovals).map((message) => message.metadata)).toEqual([
      cardMetadata,
      cardMetadata,
    ]);
  });

  it.each([
    ['text that is not JSON', '{"event_type":', 'invalid_metadata_format'],
    ['an array', '[1,2]', 'invalid_metadata_format'],
    ['no event_type', { event_payload: { key: 'k' } }, 'invalid_metadata_schema'],
    ['a numeric event_type', { event_type: 7, event_payload: {} }, 'invalid_metadata_schema'],
    ['no event_payload', { event_type: 'countersign_card' }, 'invalid_metadata_schema'],
    [
      'a string event_payload',
      { event_type: 'countersign_card', event_payload: 'k' },
      'invalid_metadata_schema',
    ],
    [
      'an array event_payload',
      { event_type: 'countersign_card', event_payload: ['k'] },
      'invalid_metadata_schema',
    ],
  ])('refuses metadata that is %s and posts nothing', async (_what, metadata, error) => {
    const refused = await platformError(
      ctx.client.apiCall('chat.postMessage', { channel: ids.financeApprovals, text: 'x', metadata }),
    );

    expect(refused).toBe(error);
    expect(ctx.fake.messages(ids.financeApprovals)).toEqual([]);
  });

  it('posts but drops metadata whose event_type has punctuation, with a warning, as Slack documents', async () => {
    const posted = await ctx.client.chat.postMessage({
      channel: ids.financeApprovals,
      text: 'card',
      metadata: { event_type: 'countersign.card', event_payload: { key: 'k' } },
    });

    expect(posted.response_metadata?.warnings).toEqual(['invalid_metadata_schema']);
    expect(ctx.fake.message(ids.financeApprovals, posted.ts ?? '')?.metadata).toBeUndefined();
  });

  it('keeps metadata across chat.update unless the update replaces it', async () => {
    const posted = await ctx.client.chat.postMessage({
      channel: ids.financeApprovals,
      text: 'v1',
      metadata: cardMetadata,
    });
    const ts = posted.ts ?? '';
    const replaced = { event_type: 'countersign_card', event_payload: { key: 'card:apr_1', version: 2 } };

    await ctx.client.chat.update({ channel: ids.financeApprovals, ts, text: 'v2' });
    const kept = ctx.fake.message(ids.financeApprovals, ts)?.metadata;
    const updated = await ctx.client.chat.update({
      channel: ids.financeApprovals,
      ts,
      text: 'v3',
      metadata: replaced,
    });
    const refused = await platformError(
      ctx.client.apiCall('chat.update', { channel: ids.financeApprovals, ts, text: 'v4', metadata: '[]' }),
    );

    expect(kept).toEqual(cardMetadata);
    expect(updated.message?.metadata).toEqual(replaced);
    expect(refused).toBe('invalid_metadata_format');
    const message = ctx.fake.message(ids.financeApprovals, ts);
    expect(message).toMatchObject({ text: 'v3', metadata: replaced });
    expect(message?.history.map((revision) => revision.metadata)).toEqual([cardMetadata, cardMetadata]);
  });
});
