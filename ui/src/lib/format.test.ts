import { describe, expect, it } from 'vitest';
import { dayKey, fold, formatBytes, formatDate, formatDateTime, formatTime, whenOf } from './format';

describe('dates in Asia/Ho_Chi_Minh', () => {
  it('writes dd/MM/yyyy and 24-hour time', () => {
    expect(formatDate('2026-11-27T01:30:00Z')).toBe('27/11/2026');
    expect(formatTime('2026-11-27T13:05:00Z')).toBe('20:05');
    expect(formatDateTime('2026-11-27T08:00:00+07:00')).toBe('27/11/2026 08:00');
  });
  it('crosses midnight into the next Vietnamese day', () => {
    expect(formatDate('2026-12-31T18:00:00Z')).toBe('01/01/2027');
    expect(dayKey('2026-11-26T17:30:00Z')).toBe('2026-11-27');
  });
  it('sorts meetings into today, upcoming and past', () => {
    const now = new Date('2026-11-27T03:00:00Z');
    expect(whenOf('2026-11-27T01:00:00Z', '2026-11-27T04:30:00Z', now)).toBe('today');
    expect(whenOf('2026-12-04T01:00:00Z', '2026-12-04T04:30:00Z', now)).toBe('upcoming');
    expect(whenOf('2026-11-20T01:00:00Z', '2026-11-20T04:30:00Z', now)).toBe('past');
  });
  it('gives nothing for garbage', () => {
    expect(formatDate('not a date')).toBe('');
  });
});

describe('text', () => {
  it('folds Vietnamese for search', () => {
    expect(fold('Nghị quyết  ĐẦU TƯ')).toBe('nghi quyet dau tu');
    expect(fold('Chính quyền điện tử')).toBe('chinh quyen dien tu');
  });
  it('formats sizes the Vietnamese way', () => {
    expect(formatBytes(1536, 'vi')).toBe('1,5 KB');
    expect(formatBytes(1536, 'en')).toBe('1.5 KB');
    expect(formatBytes(12)).toBe('12 B');
  });
});
