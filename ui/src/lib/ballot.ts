// Picking options on a ballot before confirming it.

/**
 * The options picked after tapping option `i`: a single-choice ballot takes the tapped
 * one; an election ballot toggles it, and takes no more than `max`.
 */
export function nextPick(now: readonly number[], i: number, max: number): number[] {
  if (max <= 1) return [i];
  if (now.includes(i)) return now.filter((c) => c !== i);
  if (now.length >= max) return [...now];
  return [...now, i].sort((a, b) => a - b);
}
