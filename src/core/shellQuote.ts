/** A word as a POSIX shell reads it back unchanged: as it is when plain, else in single quotes (for commands shown in messages). */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
