import { CairnError } from '../errors';
import { GitObjectReader } from '../metrics/gitObjectReader';
import { parseYamlDocument } from '../pipeline/yamlDocument';

/** An artifact of GTO's legacy index, `artifacts.yaml` (gto: index.py `Artifact`), with gto's defaults, in gto's key order. */
export interface LegacyArtifact {
  type: string | null;
  path: string | null;
  virtual: boolean;
  labels: string[];
  description: string;
  custom: unknown;
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** One entry as gto's model reads it, or undefined when gto's model would refuse it. */
function legacyArtifact(value: unknown): LegacyArtifact | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const optionalString = (x: unknown) => x === undefined || x === null || typeof x === 'string';
  if (!optionalString(v.type) || !optionalString(v.path)) return undefined;
  if (v.virtual !== undefined && typeof v.virtual !== 'boolean') return undefined;
  if (v.labels !== undefined && !isStringList(v.labels)) return undefined;
  if (v.description !== undefined && typeof v.description !== 'string') return undefined;
  return {
    type: (v.type as string | undefined) ?? null,
    path: (v.path as string | undefined) ?? null,
    virtual: (v.virtual as boolean | undefined) ?? true,
    labels: (v.labels as string[] | undefined) ?? [],
    description: (v.description as string | undefined) ?? '',
    custom: v.custom ?? null,
  };
}

/**
 * The `artifacts.yaml` of `commit`, read as gto reads it: none when the commit has none; a file
 * gto's model refuses (not a mapping of names to artifacts, or past the YAML limits) counts as
 * none too (gto stops with "artifacts.yaml file doesn't conform to GTO format" there).
 */
export async function readLegacyIndex(reader: GitObjectReader, commit: string): Promise<Map<string, LegacyArtifact> | undefined> {
  const blob = await reader.read(`${commit}:artifacts.yaml`);
  return blob && blob.type === 'blob' ? parseLegacyIndex(blob.data.toString('utf8')) : undefined;
}

/** An `artifacts.yaml` text as gto's model reads it, or undefined where gto's model refuses it. */
export function parseLegacyIndex(text: string): Map<string, LegacyArtifact> | undefined {
  let contents: unknown;
  try {
    const doc = parseYamlDocument(text, 'artifacts.yaml');
    if (doc.errors.length) return undefined;
    contents = doc.toJS();
  } catch (err) {
    if (err instanceof CairnError) return undefined;
    throw err;
  }
  if (contents === null || typeof contents !== 'object' || Array.isArray(contents)) return undefined;
  const index = new Map<string, LegacyArtifact>();
  for (const [name, value] of Object.entries(contents as Record<string, unknown>)) {
    const artifact = legacyArtifact(value);
    if (!artifact) return undefined;
    index.set(name, artifact);
  }
  return index;
}
