import { describe, expect, it } from 'vitest';
import type { CharBox } from './bindings';
import { inkPath, nearestChar, quadRect, selectionQuads, strokeHit, toPage, toScreen } from './geometry';

const box = { width: 595, height: 842, scale: 2 };

describe('page coordinates', () => {
  it('round-trips between screen and page', () => {
    const [px, py] = toPage(box, 100, 200);
    expect(px).toBe(50);
    expect(py).toBe(742);
    expect(toScreen(box, px, py)).toEqual([100, 200]);
  });
  it('draws ink in screen space', () => {
    expect(inkPath(box, [[10, 842, 0.5], [20, 832, 0.5]])).toBe('M20.0 0.0 L40.0 20.0');
  });
  it('maps a quad to a rectangle', () => {
    expect(quadRect(box, [[10, 800], [110, 800], [10, 780], [110, 780]])).toEqual([20, 84, 200, 40]);
  });
});

describe('eraser', () => {
  it('hits a stroke near a segment only', () => {
    const s = [[0, 0, 0.5], [100, 0, 0.5]];
    expect(strokeHit(s, 50, 3, 4)).toBe(true);
    expect(strokeHit(s, 50, 10, 4)).toBe(false);
    expect(strokeHit(s, 104, 0, 4)).toBe(true);
  });
});

describe('text selection', () => {
  const chars: CharBox[] = [
    { c: 'N', r: [10, 700, 18, 712] },
    { c: 'g', r: [18, 700, 24, 712] },
    { c: ' ', r: null },
    { c: 'h', r: [28, 700, 34, 712] },
    { c: '\n', r: null },
    { c: 'ị', r: [10, 680, 16, 692] },
  ];
  it('finds the nearest character', () => {
    expect(nearestChar(chars, 29, 705)).toBe(3);
    expect(nearestChar(chars, 11, 685)).toBe(5);
  });
  it('makes one quad per line', () => {
    const { quads, text } = selectionQuads(chars, 0, 5);
    expect(quads).toHaveLength(2);
    expect(quads[0]).toEqual([[10, 712], [34, 712], [10, 700], [34, 700]]);
    expect(text).toBe('Ng h ị');
  });
});
