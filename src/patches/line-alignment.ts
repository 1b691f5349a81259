/**
 * Which lines of a file a change kept: the lines before and after are aligned by a shortest
 * edit script (Myers' O(ND) difference algorithm), after the common start and end are set
 * aside. The result gives, for every line after the change, the number it had before, or
 * nothing for a line the change added.
 */

/** The aligned pairs [index before, index after] of A and B, last first; undefined past LIMIT edits. */
function commonLines(a: readonly string[], b: readonly string[], limit: number): [number, number][] | undefined {
  const n = a.length;
  const m = b.length;
  const offset = n + m + 1;
  const v = new Int32Array(2 * offset + 1);
  // trace[d] holds v for the diagonals -d-1 .. d+1 as they were when step d began.
  const trace: Int32Array[] = [];
  for (let d = 0; d <= n + m; d++) {
    if (d > limit) return undefined;
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, n, m);
    }
  }
  return [];
}

function backtrack(trace: readonly Int32Array[], n: number, m: number): [number, number][] {
  const pairs: [number, number][] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d--) {
    const at = (k: number) => trace[d]![k + d + 1]!;
    const k = x - y;
    const previous = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const previousX = at(previous);
    const previousY = previousX - previous;
    while (x > previousX && y > previousY) pairs.push([--x, --y]);
    x = previousX;
    y = previousY;
  }
  while (x > 0 && y > 0) pairs.push([--x, --y]);
  return pairs;
}

/**
 * For each line of AFTER, the 1-based number of the line of BEFORE it is (unchanged), or
 * undefined for an added line. Undefined altogether when more than LIMIT lines were added or
 * removed between the first and the last change (the alignment's cost grows with their square).
 */
export function keptLineNumbers(
  before: readonly string[],
  after: readonly string[],
  limit = 2000,
): (number | undefined)[] | undefined {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
    endBefore--;
    endAfter--;
  }
  const middle = commonLines(before.slice(start, endBefore), after.slice(start, endAfter), limit);
  if (middle === undefined) return undefined;
  const kept: (number | undefined)[] = new Array<number | undefined>(after.length).fill(undefined);
  for (let i = 0; i < start; i++) kept[i] = i + 1;
  for (const [x, y] of middle) kept[start + y] = start + x + 1;
  for (let i = 0; endAfter + i < after.length; i++) kept[endAfter + i] = endBefore + i + 1;
  return kept;
}
