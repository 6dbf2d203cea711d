import { describe, expect, it } from 'vitest';
import { i18n, refusalText } from './i18n.svelte';
import { en, vi } from './messages';

describe('refused changes in words', () => {
  it('says in Vietnamese what was refused and why', () => {
    i18n.lang = 'vi';
    expect(refusalText('ballot.cast', 'deadline_passed')).toEqual({
      what: 'Phiếu biểu quyết',
      why: 'Đã quá thời hạn (biểu quyết hoặc lấy ý kiến đã kết thúc).',
    });
    expect(refusalText('annotation.put', 'payload_too_large').why).toBe('Quá lớn để gửi lên máy chủ.');
  });
  it('falls back to the kind itself and a general reason', () => {
    i18n.lang = 'vi';
    expect(refusalText('future.op', 'teapot')).toEqual({
      what: 'future.op',
      why: 'Máy chủ không nhận thay đổi này.',
    });
    i18n.lang = 'en';
    expect(refusalText('note.put', 'conflict').what).toBe('Personal note');
    i18n.lang = 'vi';
  });
  it('has both languages for every kind and reason', () => {
    expect(Object.keys(en.opKinds).sort()).toEqual(Object.keys(vi.opKinds).sort());
    expect(Object.keys(en.refusals).sort()).toEqual(Object.keys(vi.refusals).sort());
  });
});
