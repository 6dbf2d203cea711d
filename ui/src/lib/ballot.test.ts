import { describe, expect, it } from 'vitest';
import { nextPick } from './ballot';

describe('nextPick', () => {
  it('takes the tapped option on a single-choice ballot', () => {
    expect(nextPick([], 1, 1)).toEqual([1]);
    expect(nextPick([1], 0, 1)).toEqual([0]);
  });

  it('toggles options on an election ballot, up to the limit', () => {
    let pick = nextPick([], 3, 2);
    pick = nextPick(pick, 0, 2);
    expect(pick).toEqual([0, 3]);
    expect(nextPick(pick, 2, 2)).toEqual([0, 3]);
    expect(nextPick(pick, 3, 2)).toEqual([0]);
  });
});
