import { describe, expect, it } from 'vitest';
import { asAppError } from './api';

describe('errors from the bridge', () => {
  it('keeps every code the bridge sends, so each gets its own message', () => {
    for (const code of ['poll_not_open', 'already_voted', 'device_revoked', 'not_downloaded'] as const) {
      expect(asAppError({ code, message: 'x' }).code).toBe(code);
    }
  });
  it('turns anything else into internal', () => {
    expect(asAppError({ code: 'no_such_code', message: 'x' }).code).toBe('internal');
    expect(asAppError(new Error('bridge gone')).code).toBe('internal');
  });
});
