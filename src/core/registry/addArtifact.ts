import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isScalar, stringify } from 'yaml';
import { CairnError } from '../errors';
import { editYamlText } from '../experiments/yamlEdits';
import { parseYamlDocument } from '../pipeline/yamlDocument';
import { ParamValue } from '../pipeline/values';
import { writeFileAtomic } from '../repo/atomicWrite';
import { outputPathProblem } from '../repo/outputPath';
import { readRepoFile } from '../repo/readRepoFile';
import type { Repo } from '../repo/repo';
import { assertAllowedType, readGtoConfig } from './gtoConfig';
import { assertStageName } from './tagNames';

/** An artifact as dvc.yaml declares it (dvc: annotations.py `Artifact`). */
export interface ArtifactDeclaration {
  path: string;
  type?: string;
  desc?: string;
  labels?: string[];
}

/**
 * `cairn artifacts add` (Cairn's own; dvc has it only in its Python API): the artifact `name`
 * declared in the repository's root dvc.yaml under `artifacts:`, the rest of the file — comments,
 * order, style — as it was. A name gto would reject, a type `.gto` does not allow, a name already declared or a path outside
 * the repository is refused and nothing written; the file is written through a temp file and a
 * rename, never through a link. The caller holds the repository lock.
 */
export async function addArtifact(repo: Repo, name: string, declaration: ArtifactDeclaration): Promise<{ file: string }> {
  try {
    assertStageName(name);
  } catch {
    throw new CairnError('USAGE', `Can't use '${name}' as artifact name (ID).`, { hint: "Only letters, numbers, '_', '-', '/'; it starts and ends with a letter or a number." });
  }
  // gto's rule for types: a `.gto` listing `types:` allows only those.
  if (declaration.type) assertAllowedType(readGtoConfig(repo.scm?.root ?? repo.root), declaration.type);
  const problem = outputPathProblem(repo.root, path.resolve(repo.root, declaration.path));
  if (problem || path.isAbsolute(declaration.path)) throw new CairnError('USAGE', `artifact path '${declaration.path}' ${problem ?? 'is absolute'}.`, { hint: 'Give a path inside the repository, relative to its root.' });
  const file = 'dvc.yaml';
  const abs = path.join(repo.root, file);
  repo.assertWritable(abs);
  const st = await fs.promises.lstat(abs).catch(() => undefined);
  if (st && !st.isFile()) throw new CairnError('UNSAFE_PATH', `refusing to change '${file}': it is not a regular file.`, { file, hint: 'Replace it by the file itself.' });
  const text = st ? (await readRepoFile(abs, file)).toString('utf8') : '';
  const value: Record<string, ParamValue> = { path: declaration.path };
  if (declaration.type) value.type = declaration.type;
  if (declaration.desc) value.desc = declaration.desc;
  if (declaration.labels?.length) value.labels = declaration.labels;
  const doc = parseYamlDocument(text, file);
  const artifacts = doc.get('artifacts', true);
  let newText: string;
  if (isMap(artifacts)) {
    if (artifacts.items.some((pair) => isScalar(pair.key) && String(pair.key.value) === name)) {
      throw new CairnError('USAGE', `artifact '${name}' is already declared in ${file}.`, { file, hint: 'Choose another name, or edit its entry.' });
    }
    newText = artifacts.items.length ? editYamlText(text, [{ kind: 'add', path: ['artifacts'], key: name, value }], file) : editYamlText(text, [{ kind: 'set', path: ['artifacts'], value: { [name]: value } }], file);
  } else if (artifacts === undefined || artifacts === null || (isScalar(artifacts) && artifacts.value === null)) {
    // A new `artifacts:` block goes at the end, in block style as dvc writes it.
    const block = stringify({ artifacts: { [name]: value } }, { indentSeq: false, lineWidth: 0 });
    newText = artifacts === undefined ? `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${block}` : editYamlText(text, [{ kind: 'set', path: ['artifacts'], value: { [name]: value } }], file);
  } else {
    throw new CairnError('BAD_FILE', `'artifacts' in ${file} is not a mapping of names to artifacts.`, { file, hint: 'Fix it by hand first.' });
  }
  await writeFileAtomic(abs, newText, st ? st.mode & 0o7777 : undefined);
  return { file };
}
