import { strict as assert } from 'node:assert';
import { annotationsText, parseAnnotations } from '../../src/core/experiments/annotations';

describe('experiment annotations (the note text)', () => {
  it('is sorted lines, so the union of two machines\' notes (git\'s cat_sort_uniq) reads as the union of their tags and notes', () => {
    const mine = annotationsText({ tags: ['best', 'golden'], notes: ['first'] });
    const theirs = annotationsText({ tags: ['best', 'reviewed'], notes: ['second\nline'] });
    assert.equal(mine, 'note "first"\ntag best\ntag golden\n');
    const merged = [...new Set([...mine.split('\n'), ...theirs.split('\n')].filter(Boolean))].sort().join('\n');
    assert.deepEqual(parseAnnotations(merged), { tags: ['best', 'golden', 'reviewed'], notes: ['first', 'second\nline'] });
    assert.equal(annotationsText({ tags: [], notes: [] }), '');
  });

  it('reads a note from someone else as data: odd lines, bad tags, non-string or huge notes are left out', () => {
    const text = ['tag ok', 'tag two words', 'tag -rf', 'note {"a":1}', 'note not json', `note ${JSON.stringify('x'.repeat(5000))}`, 'note "fine"', 'junk', 'tag ok'].join('\n');
    assert.deepEqual(parseAnnotations(text), { tags: ['ok'], notes: ['fine'] });
  });
});
