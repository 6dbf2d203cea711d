import { describe, expect, it } from 'vitest';
import { beforeLogout, runBeforeLogout } from './leaving';

describe('before a sign-out', () => {
  it('runs what is registered, survives failures and hangs, and forgets what unregistered', async () => {
    const ran: string[] = [];
    const offA = beforeLogout(async () => {
      ran.push('a');
    });
    const offB = beforeLogout(() => Promise.reject(new Error('offline')));
    const offC = beforeLogout(() => new Promise<void>(() => {}));
    await runBeforeLogout(50);
    expect(ran).toEqual(['a']);
    offA();
    offB();
    offC();
    await runBeforeLogout(50);
    expect(ran).toEqual(['a']);
  });
});
