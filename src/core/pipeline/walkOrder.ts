/**
 * Repo-relative files in the order dvc finds them (a top-down walk of the repository): a
 * folder's own files before its subfolders, names in code-point order. `stage list --all` and
 * `dag` list stages and `.dvc` files so.
 */
export function walkOrder(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; ; i++) {
    const aIsFile = i === pa.length - 1;
    const bIsFile = i === pb.length - 1;
    if (pa[i] !== pb[i] || aIsFile || bIsFile) {
      if (aIsFile !== bIsFile) return aIsFile ? -1 : 1;
      return pa[i] < pb[i] ? -1 : pa[i] > pb[i] ? 1 : 0;
    }
  }
}
