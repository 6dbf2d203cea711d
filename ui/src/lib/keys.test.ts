import { describe, expect, it } from 'vitest';
import { viewerAction } from './keys';

const press = (key: string, opts: { ctrl?: boolean; typing?: boolean } = {}) =>
  viewerAction({ key, ctrlKey: opts.ctrl ?? false, metaKey: false, typing: opts.typing ?? false });

describe('viewer keys', () => {
  it('Ctrl+Z undoes an annotation only when the user is not typing', () => {
    expect(press('z', { ctrl: true })).toBe('undo');
    expect(press('z', { ctrl: true, typing: true })).toBeNull();
  });
  it('Ctrl+F goes to the search box, even from another field', () => {
    expect(press('f', { ctrl: true })).toBe('search');
    expect(press('F', { ctrl: true, typing: true })).toBe('search');
  });
  it('page keys move through the document, but not while typing', () => {
    expect(press('PageDown')).toBe('next');
    expect(press(' ')).toBe('next');
    expect(press('ArrowLeft')).toBe('prev');
    expect(press('End')).toBe('last');
    expect(press(' ', { typing: true })).toBeNull();
    expect(press('-', { typing: true })).toBeNull();
  });
  it('Ctrl+minus and Ctrl+plus zoom the document, as in other readers', () => {
    expect(press('-', { ctrl: true })).toBe('zoom-out');
    expect(press('=', { ctrl: true })).toBe('zoom-in');
  });
});
