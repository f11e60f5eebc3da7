import YAML, { Document, DocumentOptions, ParseOptions, SchemaOptions } from 'yaml';
import { CairnError } from '../errors';

/**
 * How deep YAML from a repository may nest. DVC's files nest a handful of levels, params files a
 * few dozen; the parser recurses once per level, and a few thousand (`- - - …`, `[[[…`) exhaust
 * the stack. Catching the RangeError is not enough: when the stack runs out while V8 compiles a
 * regular expression, the process dies ("RegExpCompiler Allocation failed"), so depth is checked
 * before parsing.
 */
export const MAX_YAML_DEPTH = 200;

/** `YAML.parseDocument` for a file from a repository (`file` repo-relative, for the message), within MAX_YAML_DEPTH. */
export function parseYamlDocument(text: string, options: ParseOptions & DocumentOptions & SchemaOptions, file: string): Document.Parsed {
  if (yamlNestingDepth(text) > MAX_YAML_DEPTH) throw nestedTooDeeply(file);
  try {
    // logLevel 'error': a stranger's file never makes the yaml package print Node warnings.
    return YAML.parseDocument(text, { logLevel: 'error', ...options });
  } catch (err) {
    if (err instanceof RangeError) throw nestedTooDeeply(file);
    throw err;
  }
}

export function nestedTooDeeply(file: string): CairnError {
  return new CairnError('LIMIT_EXCEEDED', `the YAML is nested more than ${MAX_YAML_DEPTH} levels deep`, { file, hint: 'No DVC file nests that deep: restore the file from git.' });
}

/**
 * An upper bound of a YAML text's nesting, in one pass: the open block levels (indentation),
 * the `- `/`? `/`: ` indicators opening levels on one line, and the open `[`/`{` (outside quotes
 * and comments, roughly: a bracket inside a string only makes the bound larger).
 */
export function yamlNestingDepth(text: string): number {
  let max = 0;
  let flow = 0;
  const indents: number[] = [];
  for (const line of text.split('\n')) {
    const content = line.trimStart();
    if (content === '' || content.startsWith('#')) continue;
    const indent = line.length - content.length;
    if (flow === 0) {
      while (indents.length && indents[indents.length - 1] >= indent) indents.pop();
      indents.push(indent);
    }
    const compact = /^(?:[-?:](?:\s+|$))*/.exec(content)![0].replace(/\s+/g, '').length;
    let quote = '';
    for (const ch of content) {
      if (quote) {
        if (ch === quote) quote = '';
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '#') break;
      else if (ch === '[' || ch === '{') max = Math.max(max, indents.length + compact + ++flow);
      else if ((ch === ']' || ch === '}') && flow > 0) flow--;
    }
    max = Math.max(max, indents.length + compact + flow);
  }
  return max;
}
