import { CairnError } from '../core/errors';
import { annotateExperiment, Annotations } from '../core/experiments/annotations';
import { Command, out, printJson, withRepo } from './command';

const EXPERIMENT = { name: '<experiment>', help: 'An experiment name (as `exp apply` takes it), or any revision.' };

function printAnnotations(who: string, a: Annotations, json: boolean): void {
  if (json) {
    printJson(a);
    return;
  }
  out(`${who}: ${a.tags.length ? `tags ${a.tags.join(' ')}` : 'no tags'}`);
  for (const note of a.notes) out(`  note: ${note.replace(/\n/g, '\n        ')}`);
}

/** `exp tag`: words on an experiment (best, baseline, to-review…), shown in `exp show` and the editor, pushed and pulled with it. */
export const expTagCommand: Command = {
  summary: 'Tag an experiment (or take tags off); tags show in exp show and travel with exp push/pull',
  args: [EXPERIMENT, { name: '[tags...]', help: 'Tags to add (or with --remove, to take off); none: print its tags.' }],
  options: { remove: { type: 'boolean', short: 'd', help: 'Take the tags off instead of adding them.' } },
  async run({ values, positionals }) {
    const [experiment, ...tags] = positionals;
    if (!experiment) throw new CairnError('USAGE', 'cairn exp tag takes an experiment, then the tags.', { hint: 'cairn exp tag my-exp best' });
    if (values.remove && !tags.length) throw new CairnError('USAGE', '--remove takes the tags to take off.');
    return withRepo(async (repo) => {
      const result = await annotateExperiment(repo, experiment, values.remove ? { removeTags: tags } : { addTags: tags });
      if (!values.quiet) printAnnotations(result.name ?? result.commit.slice(0, 7), result.annotations, !!values.json);
      return 0;
    });
  },
};

/** `exp note`: a sentence on an experiment (why it was run, what was seen). */
export const expNoteCommand: Command = {
  summary: 'Add a note to an experiment (or clear its notes); notes show in exp show --json and the editor, and travel with exp push/pull',
  args: [EXPERIMENT, { name: '[text]', help: 'The note to add; none: print its notes.' }],
  options: { clear: { type: 'boolean', help: 'Take its notes off first (with no text: only that).' } },
  async run({ values, positionals }) {
    const [experiment, text, ...rest] = positionals;
    if (!experiment) throw new CairnError('USAGE', 'cairn exp note takes an experiment, then the note.', { hint: 'cairn exp note my-exp "lr too high: diverged after epoch 3"' });
    if (rest.length) throw new CairnError('USAGE', 'cairn exp note takes one note: quote it.', { hint: `cairn exp note ${experiment} "${[text, ...rest].join(' ')}"` });
    return withRepo(async (repo) => {
      const result = await annotateExperiment(repo, experiment, { note: text, clearNotes: !!values.clear });
      if (!values.quiet) printAnnotations(result.name ?? result.commit.slice(0, 7), result.annotations, !!values.json);
      return 0;
    });
  },
};
