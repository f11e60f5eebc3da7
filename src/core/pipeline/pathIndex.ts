/**
 * Repo-relative paths (each with a value, in the order added) found by overlap in time
 * proportional to the path's depth and the answer's size, not to the number of paths: the
 * same path, a folder holding it, or a path inside it — how DVC links a dep to an output.
 */
export class PathIndex<T> {
  readonly entries: { path: string; value: T }[] = [];
  /** Entries by their path. */
  private readonly byPath = new Map<string, number[]>();
  /** Entries by each folder above their path (`a/b/c` is listed under `a` and `a/b`). */
  private readonly byFolder = new Map<string, number[]>();

  add(path: string, value: T): void {
    const i = this.entries.length;
    this.entries.push({ path, value });
    listAt(this.byPath, path).push(i);
    for (const folder of foldersAbove(path)) listAt(this.byFolder, folder).push(i);
  }

  /** Indexes (into `entries`, ascending) of the entries whose path overlaps `path`. */
  overlapping(path: string): number[] {
    const found: number[] = [...(this.byPath.get(path) ?? []), ...(this.byFolder.get(path) ?? [])];
    for (const folder of foldersAbove(path)) found.push(...(this.byPath.get(folder) ?? []));
    return found.sort((a, b) => a - b);
  }
}

function listAt(map: Map<string, number[]>, key: string): number[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}

/** `a/b/c` -> `a`, `a/b` (never '': the root holds nothing here, as `isInside` has it). */
function foldersAbove(path: string): string[] {
  const folders: string[] = [];
  for (let at = path.indexOf('/'); at > 0; at = path.indexOf('/', at + 1)) folders.push(path.slice(0, at));
  return folders;
}
