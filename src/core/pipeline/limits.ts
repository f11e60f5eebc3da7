import { CairnError } from '../errors';

/**
 * What a pipeline file (dvc.yaml, dvc.lock, a params or vars file) may hold: a repository may
 * be a stranger's, and past these a command would run for minutes or exhaust memory. Each is
 * far beyond real projects (the largest pipelines seen have a few thousand stages and
 * dvc.yaml files of a few hundred KiB); below them every pipeline command stays near-linear.
 */
export const PIPELINE_LIMITS = {
  /** Bytes of one file (the bench's 10,000-stage pipeline is 2.6 MiB of dvc.yaml). */
  documentBytes: 16 * 2 ** 20,
  /** YAML aliases (`*name`) in one file. */
  aliases: 1000,
  /** Values made by aliases' copies in one file (an alias of an alias doubles: this bounds it). */
  aliasNodes: 20_000,
  /** Nesting of mappings and lists in one file. */
  depth: 100,
  /** Stages of one dvc.yaml, each stage a foreach/matrix generates counted: checked before generating. */
  stagesPerFile: 50_000,
} as const;

/** The error for a limit passed: what was found, the limit by name (`1,000 YAML aliases per file`), where, and what to do. */
export function limitExceeded(what: string, limit: string, where: { file?: string; line?: number }, hint: string): CairnError {
  return new CairnError('LIMIT_EXCEEDED', `${what}; the limit is ${limit}`, { ...where, hint });
}

export const count = (n: number) => n.toLocaleString('en-US');

/** A pipeline file's text within `documentBytes`, else LIMIT_EXCEEDED naming it. */
export function checkDocumentSize(text: string, file: string): void {
  // Cheap first: a character is at most 3 UTF-8 bytes here (4 only as a surrogate pair, 2 chars).
  if (text.length * 3 <= PIPELINE_LIMITS.documentBytes) return;
  const bytes = Buffer.byteLength(text);
  if (bytes <= PIPELINE_LIMITS.documentBytes) return;
  throw limitExceeded(`'${file}' is ${(bytes / 2 ** 20).toFixed(1)} MiB`, `${PIPELINE_LIMITS.documentBytes / 2 ** 20} MiB per pipeline, lock or params file`, { file }, 'Split it, or keep large data out of pipeline and params files (track it with `cairn add`).');
}

/** The error for nesting past `depth` (mappings and lists, or TOML tables). */
export function tooDeep(file: string, line: number | undefined): CairnError {
  return limitExceeded(`'${file}' nests mappings and lists too deeply`, `${PIPELINE_LIMITS.depth} levels`, { file, line }, 'Flatten the structure.');
}
