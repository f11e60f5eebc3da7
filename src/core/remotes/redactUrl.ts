/**
 * A remote's URL as it may be shown: in `remote list`, errors, the Remotes view, logs. Its
 * user-info goes whole (`s3://AKIA…:secret@bucket/p` → `s3://***@bucket/p`): the "user" of an
 * S3 URL is an access key id, as much a credential as the password, and nothing a person needs
 * to tell remotes apart. User-info is what precedes the last `@` before the host; an S3 secret
 * may hold `/` or `@`, so text before that `@` counts as user-info when it has a `:` or no `/`
 * (`s3://bucket/data@v2` keeps its `@`).
 */
export function redactUrl(url: string): string {
  const parts = splitUserInfo(url);
  return parts ? `${parts.scheme}***@${parts.rest}` : url;
}

/** The URL without its user-info (S3 credentials come from the config, never from the URL). */
export function withoutUserInfo(url: string): string {
  const parts = splitUserInfo(url);
  return parts ? `${parts.scheme}${parts.rest}` : url;
}

function splitUserInfo(url: string): { scheme: string; rest: string } | undefined {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^]*)$/.exec(url);
  if (!m) return undefined;
  const at = m[2].lastIndexOf('@');
  if (at < 0) return undefined;
  const before = m[2].slice(0, at);
  return before.includes(':') || !before.includes('/') ? { scheme: m[1], rest: m[2].slice(at + 1) } : undefined;
}

/** A message with every URL in it redacted: for text that quotes URLs it did not build (a library's error). */
export function redactUrlsIn(text: string): string {
  return text.replace(/[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s'"`<>()]*/g, (url) => redactUrl(url));
}
