/** The pipeline files the server knows, told apart by name. */
export type PipelineFileKind = 'pipeline' | 'lock' | 'dvc';

export function pipelineFileKind(uriOrPath: string): PipelineFileKind | undefined {
  const name = decodeURIComponent(uriOrPath.split(/[\\/]/).pop() ?? '');
  if (name === 'dvc.yaml') return 'pipeline';
  if (name === 'dvc.lock') return 'lock';
  if (name.endsWith('.dvc') && name !== '.dvc') return 'dvc';
  return undefined;
}
