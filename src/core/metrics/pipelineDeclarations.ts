import { CairnError } from '../errors';
import type { Declarations } from './declarations';
import type { RevisionSource } from './revisionSource';

/**
 * The metrics, params and plots a revision's dvc.yaml files declare, through the pipeline loader.
 * Placeholder until core/pipeline's loadPipelines is merged.
 */
export async function pipelineDeclarations(source: RevisionSource): Promise<Declarations> {
  void source;
  throw new CairnError('USAGE', 'reading dvc.yaml needs the pipeline loader, which is not merged yet.');
}
