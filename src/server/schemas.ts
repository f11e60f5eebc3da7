import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';
import type { PipelineFileKind } from './pipelineFileKind';

/** The schema files in `schemas/` (also contributed to VS Code as `yamlValidation`). */
export const SCHEMA_FILES: Record<PipelineFileKind, string> = {
  pipeline: 'dvc.yaml.schema.json',
  lock: 'dvc.lock.schema.json',
  dvc: 'dvc-file.schema.json',
};

/** A JSON schema node, as far as the server reads one (descriptions, properties, refs). */
export interface SchemaNode {
  $ref?: string;
  description?: string;
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  required?: string[];
  if?: SchemaNode;
  then?: SchemaNode;
  else?: SchemaNode;
  allOf?: SchemaNode[];
  definitions?: Record<string, SchemaNode>;
}

/** The folder holding the schema files: found upward from this module (out/src/server or dist). */
export function schemasDir(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'schemas');
    if (fs.existsSync(path.join(candidate, SCHEMA_FILES.pipeline))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`schemas/${SCHEMA_FILES.pipeline} not found above ${from}`);
  }
}

/** The compiled validators and raw schemas, loaded once per process. */
export class PipelineSchemas {
  private readonly validators = new Map<PipelineFileKind, ValidateFunction>();
  private readonly raw = new Map<PipelineFileKind, SchemaNode>();

  constructor(dir = schemasDir()) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
    for (const [kind, file] of Object.entries(SCHEMA_FILES) as [PipelineFileKind, string][]) {
      const schema = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as SchemaNode;
      this.raw.set(kind, schema);
      ajv.addSchema(schema as object, file);
    }
    for (const kind of this.raw.keys()) this.validators.set(kind, ajv.getSchema(SCHEMA_FILES[kind])!);
  }

  validator(kind: PipelineFileKind): ValidateFunction {
    return this.validators.get(kind)!;
  }

  schema(kind: PipelineFileKind): SchemaNode {
    return this.raw.get(kind)!;
  }

  /**
   * The schema that applies to the value at `path` (string keys and numeric indexes), following
   * refs, properties, additionalProperties and items; `then` for a foreach stage. Undefined
   * when nothing describes it.
   */
  schemaAt(kind: PipelineFileKind, at: (string | number)[], value?: unknown): SchemaNode | undefined {
    const root = this.schema(kind);
    let node: SchemaNode | undefined = this.resolve(root, root);
    let data: unknown = value;
    for (const seg of at) {
      if (!node) return undefined;
      node = this.resolve(root, this.branch(root, node, data));
      const next: SchemaNode | boolean | undefined =
        typeof seg === 'number' ? node.items : node.properties?.[seg] ?? node.additionalProperties;
      node = typeof next === 'object' ? this.resolve(root, next) : undefined;
      data = data && typeof data === 'object' ? (data as Record<string | number, unknown>)[seg] : undefined;
    }
    return node ? this.resolve(root, this.branch(root, node, data)) : undefined;
  }

  /** The keys a map at `path` may have, with their descriptions. */
  keysAt(kind: PipelineFileKind, at: (string | number)[], value?: unknown): Map<string, SchemaNode> {
    const node = this.schemaAt(kind, at, value);
    const keys = new Map<string, SchemaNode>();
    const root = this.schema(kind);
    const add = (n: SchemaNode | undefined) => {
      for (const [k, v] of Object.entries(n?.properties ?? {})) if (!keys.has(k)) keys.set(k, this.resolve(root, v));
    };
    add(node);
    for (const part of node?.allOf ?? []) add(this.resolve(root, part));
    return keys;
  }

  /** A foreach/do stage or a plain one: the `if` of `stageOrForeach`, decided on the data. */
  private branch(root: SchemaNode, node: SchemaNode, data: unknown): SchemaNode {
    if (!node.if || !node.then || !node.else) return node;
    const isForeach = !!data && typeof data === 'object' && ('foreach' in data || 'do' in data);
    return this.resolve(root, isForeach ? node.then : node.else);
  }

  private resolve(root: SchemaNode, node: SchemaNode): SchemaNode {
    let n = node;
    for (let guard = 0; n.$ref && guard < 20; guard++) {
      const [file, pointer] = n.$ref.split('#');
      const base = file ? this.raw.get((Object.entries(SCHEMA_FILES).find(([, f]) => f === file)?.[0] ?? 'pipeline') as PipelineFileKind)! : root;
      let target: unknown = base;
      for (const part of (pointer ?? '').split('/').filter(Boolean)) target = (target as Record<string, unknown>)?.[part];
      if (!target) break;
      // Keep a description written beside the $ref.
      n = n.description && !(target as SchemaNode).description ? { ...(target as SchemaNode), description: n.description } : (target as SchemaNode);
    }
    return n;
  }
}
