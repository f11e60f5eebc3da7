import { CairnError } from '../errors';
import type { RevisionSource } from './revisionSource';

/**
 * A pipeline or `.dvc` file of a revision that DVC could not load, with the exception DVC names
 * for it in `--json` error entries (by what went wrong: syntax, schema, `${}`).
 */
export class ProjectFileError extends CairnError {
  readonly type: 'YAMLSyntaxError' | 'YAMLValidationError' | 'ResolveError';

  constructor(cause: CairnError, source: RevisionSource) {
    // Said with the revision: the workspace's copy may be fine.
    super(cause.code, source.commit ? `${cause.message} (at ${source.rev})` : cause.message, cause.options);
    this.type = / is invalid YAML: |^invalid YAML: /.test(cause.message) ? 'YAMLSyntaxError' : /^failed to parse '/.test(cause.message) ? 'ResolveError' : 'YAMLValidationError';
  }
}
