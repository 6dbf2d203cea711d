import { describe, expect, it } from 'vitest';
import { fitScale, fitWidthScale, FIT_MARGIN, livePages, pageAt, pageTops, PAGE_GAP, PAGE_PAD, renderWidth } from './layout';

const a4 = { width: 595, height: 842 };
const pages = Array.from({ length: 300 }, () => a4);

describe('continuous layout', () => {
  it('stacks pages with gaps', () => {
    const tops = pageTops([a4, a4], 1);
    expect(tops).toEqual([PAGE_PAD, PAGE_PAD + 842 + PAGE_GAP, PAGE_PAD + 2 * (842 + PAGE_GAP) + PAGE_PAD - PAGE_GAP]);
  });
  it('finds the page being read', () => {
    const tops = pageTops(pages, 1);
    expect(pageAt(tops, 0, 900)).toBe(0);
    expect(pageAt(tops, (tops[150] ?? 0) - 100, 900)).toBe(150);
    expect(pageAt(tops, 1e9, 900)).toBe(299);
  });
  it('keeps only a few pages live in a 300-page document', () => {
    const tops = pageTops(pages, 1);
    const [first, last] = livePages(tops, tops[100] ?? 0, 800, 900);
    expect(first).toBeGreaterThanOrEqual(98);
    expect(last).toBeLessThanOrEqual(103);
    expect(last - first).toBeLessThan(6);
  });
  it('fits the width', () => {
    expect(fitWidthScale([a4], 595 + 2 * PAGE_PAD)).toBeCloseTo(1);
  });
});

describe('render width', () => {
  it('fits inside the scroller less its margin, a whole number of render steps wide', () => {
    const s = fitScale([a4], 1100);
    expect(595 * s).toBe(1024);
    expect(595 * s).toBeLessThanOrEqual(1100 - FIT_MARGIN - 2 * PAGE_PAD);
    expect(renderWidth(595 * s, 1)).toBe(1024);
    expect(renderWidth(595 * s, 2)).toBe(2048);
    // Too narrow to snap: plain fit.
    expect(fitScale([a4], 200)).toBeCloseTo(fitWidthScale([a4], 200 - FIT_MARGIN));
  });
  it('asks the renderer for device pixels in steps of 64', () => {
    expect(renderWidth(1000, 1)).toBe(1024);
    expect(renderWidth(1024, 1)).toBe(1024);
    expect(renderWidth(1000, 2)).toBe(2048);
    expect(renderWidth(1000, 0)).toBe(1024);
    expect(renderWidth(5000, 1)).toBe(4096);
  });
});
