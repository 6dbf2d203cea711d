import { describe, expect, it } from 'vitest';
import { clock, left } from './live.svelte';

describe('live timers', () => {
  it('formats minutes and hours', () => {
    expect(clock(0)).toBe('0:00');
    expect(clock(245)).toBe('4:05');
    expect(clock(-75)).toBe('1:15');
    expect(clock(3723)).toBe('1:02:03');
  });
  it('counts down from the moment the view was read', () => {
    expect(left(300, 0)).toBe(300);
    expect(left(300, 2500)).toBe(298);
    expect(left(1, 3000)).toBe(-2);
    expect(left(null, 3000)).toBeNull();
  });
});
