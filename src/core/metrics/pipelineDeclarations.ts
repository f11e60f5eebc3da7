import { loadPipelines } from '../pipeline/load';
import { Declarations, declarationsOf } from './declarations';
import type { RevisionSource } from './revisionSource';

/**
 * The metrics, params and plots a revision's dvc.yaml files declare, through the pipeline
 * loader run on the revision itself (nothing checked out). A bad dvc.yaml is an error of the
 * whole revision, as in DVC.
 */
export async function pipelineDeclarations(source: RevisionSource): Promise<Declarations> {
  return declarationsOf(await loadPipelines(source), source);
}
