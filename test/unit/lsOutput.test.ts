import { strict as assert } from 'node:assert';
import { naturalSize, listText, treeText } from '../../src/cli/lsOutput';
import { withBareValues } from '../../src/cli/command';

describe('ls output and bare option values', () => {
  it('sizes read as dvc list --size prints them (values from dvc.utils.humanize.naturalsize)', () => {
    const dvcSays: [number, string][] = [
      [0, '0'], [1, '1'], [999, '999'], [1000, '1000'], [1023, '1023'], [1024, '1.00k'], [1535, '1.50k'], [10234, '9.99k'],
      [102400, '100k'], [1023487, '999k'], [1024000, '0.98M'], [1048576, '1.00M'], [5 * 1024 ** 3 + 12345, '5.00G'], [3 * 1024 ** 5, '3.00P'],
    ];
    for (const [bytes, text] of dvcSays) assert.equal(naturalSize(bytes), text, String(bytes));
  });

  it('tables right-align sizes, show - for no hash, blank for an unknown size or an empty folder, and keep no trailing blanks', () => {
    const entry = (path: string, size: number | null, md5: string | null, isdir = false) => ({ isout: md5 !== null, isdir, isexec: false, size, md5, path });
    assert.equal(
      listText([entry('big', 4096, 'a'.repeat(32)), entry('empty', 0, null, true), entry('x', null, 'b'.repeat(32))], { size: true, hash: true }),
      [`4.00k  ${'a'.repeat(32)}  big`, `       -                                 empty`, `       ${'b'.repeat(32)}  x`].join('\n'),
    );
    assert.equal(listText([entry('a', 1, null), entry('b', 2, null)], {}), 'a\nb');
    const tree = { ...entry('.', 10, null, true), contents: [{ ...entry('d', 3, null, true), contents: [entry('f', 3, null)] }, entry('g', 7, null)] };
    assert.equal(treeText(tree, { size: true }), '10  .\n 3  ├── d\n 3  │   └── f\n 7  └── g');
  });

  it('an option that takes a value when bare gets it only when nothing, or another option, follows', () => {
    const options = { 'untracked-files': { type: 'string' as const, help: '', valueWhenBare: 'all' } };
    assert.deepEqual(withBareValues(['--untracked-files'], options), ['--untracked-files', 'all']);
    assert.deepEqual(withBareValues(['--untracked-files', '--json'], options), ['--untracked-files', 'all', '--json']);
    assert.deepEqual(withBareValues(['--untracked-files', 'no', 'data'], options), ['--untracked-files', 'no', 'data']);
    assert.deepEqual(withBareValues(['data', '--json'], options), ['data', '--json']);
  });
});
