import { randomUUID } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { commandEventIdFor, entityIdFor, eventIdFor } from '../../src/app/ids.js';

// Stored event ids must never change for the same command: the ids are derived without uuid's
// v5 now, and must equal what it derives, byte for byte.
const NAMESPACE = '6c3c8f5e-2a4b-5d1e-9f0a-7b8c9d0e1f2a';

describe('derived ids', () => {
  it('are the ids uuid v5 derives, for ASCII, Swedish and astral names', () => {
    const commandIds = [randomUUID(), 'key-1', 'Idempotens-åäö-ÅÄÖ', 'emoji-😀-𝔘', '', 'a/b/c', 'x'.repeat(500)];
    const streamIds = ['grant-bench-00001', 'budget-Nämnd för vård och omsorg-2024', 'grant-😀'];
    for (const commandId of commandIds) {
      for (const [index, streamId] of streamIds.entries()) {
        expect(commandEventIdFor(commandId, streamId, index)).toBe(uuidv5(`${commandId}/stream/${streamId}/event/${index}`, NAMESPACE));
      }
      expect(eventIdFor(commandId, 3)).toBe(uuidv5(`${commandId}/event/3`, NAMESPACE));
      expect(entityIdFor(commandId, 'grant')).toBe(uuidv5(`${commandId}/grant`, NAMESPACE));
    }
  });

  it('pins one id as stored', () => {
    expect(commandEventIdFor('fixed-command', 'grant-g1', 0)).toBe('6e656dea-7c45-53d8-a503-82ce6cea37a9');
  });

  it('refuses a name with a lone surrogate as uuid does', () => {
    expect(() => entityIdFor('bad-\ud800', 'grant')).toThrow();
  });
});
