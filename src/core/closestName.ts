/**
 * The name nearest to a mistyped one, for "did you mean": at most two edits away (insert,
 * delete, replace), and for names of three letters or fewer, one. Undefined when none is close.
 */
export function closestName(typed: string, names: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = typed.length <= 3 ? 2 : 3;
  for (const name of names) {
    const d = editDistance(typed, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
