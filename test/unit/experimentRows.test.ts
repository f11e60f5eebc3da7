import { strict as assert } from 'node:assert';
import { csvLine } from '../../webview/csv';
import { rowsActedOn, rowsById, rowsToCsv, rowsToMarkdown, withRemoteOnly } from '../../src/extension/experimentRows';
import { experimentsPayload } from '../../src/extension/experimentsSnapshot';
import type { ExpState } from '../../src/core/experiments/contract';
import type { ExperimentColumn, ExperimentRow, ExperimentsPayload } from '../../webview/messages';
import { ROW_ACTIONS, rowActions } from '../../webview/experimentRowActions';
import { COMMANDS } from '../../src/extension/commandIds';
import * as fs from 'node:fs';
import * as path from 'node:path';

const column = (kind: ExperimentColumn['kind'], file: string, ...path: string[]): ExperimentColumn => ({ id: [kind, file, ...path].join('\u001f'), kind, file, path });
const BASE = 'a'.repeat(40);
const OLD = 'b'.repeat(40);

function payload(): ExperimentsPayload {
  const row = (id: string, kind: ExperimentRow['kind'], values: ExperimentRow['values'], extra: Partial<ExperimentRow> = {}): ExperimentRow => ({ id, kind, label: id, created: null, values, ...extra });
  return {
    repository: 'repo',
    columns: [column('params', 'params.yaml', 'train', 'lr'), column('metrics', 'metrics.json', 'acc'), column('deps', 'data.txt'), column('params', 'params.yaml', 'unused')],
    rows: [
      row('workspace', 'workspace', [0.1, 0.2, 'd41d8cd98f00b204e9800998ecf8427e', null]),
      row(BASE, 'commit', [0.1, 0.2, 'd41d8cd98f00b204e9800998ecf8427e', null], { label: 'main', created: '2026-12-01T10:11:12' }),
      row('e1', 'experiment', [0.123456789, null, 'd41d8cd98f00b204e9800998ecf8427e', null], { label: 'exp, "quoted"', parent: BASE, ref: `refs/exps/aa/${BASE.slice(2)}/exp-1` }),
      row(OLD, 'commit', [0.3, 0.5, null, null], { label: 'b|c' }),
    ],
    pending: 0,
  };
}

describe('experiments table rows for row actions (src/extension/experimentRows)', () => {
  it('acts on the selection when the row invoked on is in it, else on that row alone', () => {
    assert.deepEqual(rowsActedOn(['a', 'b'], 'b'), ['a', 'b']);
    assert.deepEqual(rowsActedOn(['a', 'b'], 'c'), ['c']);
    assert.deepEqual(rowsActedOn([], 'c'), ['c']);
    assert.deepEqual(rowsById(payload(), ['e1', 'gone', 'workspace']).map((r) => r.id), ['e1', 'workspace']);
  });

  it('copies rows as CSV with the values as the table shows them (5 significant digits, a dep\'s hash cut, - for none), columns none of them has left out', () => {
    const p = payload();
    assert.equal(
      rowsToCsv(p, rowsById(p, ['e1', BASE])),
      'Experiment,Created,params.yaml:train.lr,metrics.json:acc,data.txt\n' + '"exp, ""quoted""",-,0.12346,-,d41d8cd9\n' + 'main,2026-12-01 10:11,0.1,0.2,d41d8cd9\n',
    );
  });

  it('copies a name a spreadsheet would run as a formula as text, and leaves negative numbers numbers', () => {
    assert.equal(csvLine(['=HYPERLINK("http://x","y")', '+1+1', '@SUM(A1)', '-0.5', '-x', '\tcmd', 'plain']), `"'=HYPERLINK(""http://x"",""y"")",'+1+1,'@SUM(A1),-0.5,'-x,'\tcmd,plain`);
  });

  it('copies rows as a Markdown table, pipes escaped', () => {
    const p = payload();
    assert.equal(rowsToMarkdown(p, rowsById(p, [OLD])), '| Experiment | Created | params.yaml:train.lr | metrics.json:acc |\n|---|---|---|---|\n| b\\|c | - | 0.3 | 0.5 |\n');
  });

  it("adds the git remote's experiments that are not here after their baseline's experiments, dimmed, and none of a baseline not shown", () => {
    const p = payload();
    const merged = withRemoteOnly(p, [
      { ref: `refs/exps/aa/${BASE.slice(2)}/exp-1`, baseline: BASE, name: 'exp-1' },
      { ref: `refs/exps/aa/${BASE.slice(2)}/theirs`, baseline: BASE, name: 'theirs' },
      { ref: `refs/exps/bb/${OLD.slice(2)}/old-theirs`, baseline: OLD, name: 'old-theirs' },
      { ref: `refs/exps/cc/${'c'.repeat(38)}/elsewhere`, baseline: 'c'.repeat(40), name: 'elsewhere' },
    ]);
    assert.deepEqual(merged.rows.map((r) => r.label), ['workspace', 'main', 'exp, "quoted"', 'theirs', 'b|c', 'old-theirs']);
    const theirs = merged.rows[3];
    assert.deepEqual([theirs.id, theirs.kind, theirs.parent, theirs.remoteOnly, theirs.ref, theirs.values.length], [`remote:refs/exps/aa/${BASE.slice(2)}/theirs`, 'experiment', BASE, true, `refs/exps/aa/${BASE.slice(2)}/theirs`, 4]);
    assert.equal(withRemoteOnly(p, []), p);
  });

  it("names a finished experiment's row by its ref and a run of Cairn's queue by its task id; dvc's queued runs by neither", () => {
    const state = (rev: string, name: string | null = null): ExpState => ({ rev, name, data: null, error: null, experiments: null });
    const states: ExpState[] = [
      state('workspace'),
      {
        ...state(BASE, 'main'),
        experiments: [
          { revs: [state('1'.repeat(40), 'done')], executor: null, name: 'done' },
          { revs: [state('2'.repeat(40), 'waiting')], executor: { state: 'queued', name: 'cairn-queue', local: { root: null, log: null, pid: null, returncode: null, task_id: 'abcdefghij-01234567' } }, name: 'waiting' },
          { revs: [state('3'.repeat(40), 'dvc-waiting')], executor: { state: 'queued', name: 'dvc-task', local: { root: null, log: null, pid: null, returncode: null, task_id: '3'.repeat(40) } }, name: 'dvc-waiting' },
          // A run in the workspace: its revision is the workspace, no commit yet.
          { revs: [state('workspace', 'in-workspace')], executor: { state: 'running', name: 'workspace', local: { root: null, log: null, pid: 1, returncode: null, task_id: null } }, name: 'in-workspace' },
        ],
      },
    ];
    const rows = experimentsPayload(states, 'repo').rows;
    assert.deepEqual(rows.map((r) => [r.label, r.rev, r.ref, r.queueId]), [
      ['workspace', undefined, undefined, undefined],
      ['main', BASE.slice(0, 7), undefined, undefined],
      ['done', '1111111', `refs/exps/aa/${BASE.slice(2)}/done`, undefined],
      ['waiting', '2222222', undefined, 'abcdefghij-01234567'],
      ['dvc-waiting', '3333333', undefined, undefined],
      ['in-workspace', undefined, undefined, undefined],
    ]);
  });

  it("offers in a row's context menu only the actions that fit it: package.json's when clauses read the row's rowActions", () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
    const entries: { command: string; when: string }[] = pkg.contributes.menus['webview/context'];
    // Each entry is one action of ROW_ACTIONS, shown when the row lists it.
    assert.deepEqual(entries.map((e) => Object.values(COMMANDS).find((c) => c.id === e.command) && e.command).sort(), (Object.keys(ROW_ACTIONS) as (keyof typeof COMMANDS)[]).map((k) => COMMANDS[k].id).sort());
    const menu = (row: ExperimentRow) =>
      entries
        .filter((e) => {
          const m = /^webviewId == 'cairn\.experiments' && webviewSection == 'experimentRow' && rowActions =~ \/(.+)\/$/.exec(e.when);
          assert.ok(m, e.when);
          return new RegExp(m[1]).test(rowActions(row));
        })
        .map((e) => e.command.replace('cairn.', ''))
        .sort();
    const row = (kind: ExperimentRow['kind'], extra: Partial<ExperimentRow> = {}): ExperimentRow => ({ id: 'x', kind, label: 'x', created: null, values: [], ...extra });
    const ref = `refs/exps/aa/${BASE.slice(2)}/e`;
    assert.deepEqual(menu(row('workspace')), ['expCompare', 'expCopyCsv', 'expCopyMarkdown', 'modifyParamsAndRun']);
    assert.deepEqual(menu(row('commit')), ['expCompare', 'expCopyCsv', 'expCopyMarkdown', 'modifyParamsAndRun', 'registerExperimentVersion']);
    assert.deepEqual(menu(row('experiment', { ref, state: 'success' })), ['expApply', 'expBranch', 'expCompare', 'expCopyCsv', 'expCopyMarkdown', 'expPush', 'expRemove', 'expRename', 'modifyParamsAndRun', 'registerExperimentVersion']);
    assert.deepEqual(menu(row('experiment', { ref, remoteOnly: true })), ['expCopyCsv', 'expCopyMarkdown', 'expPull']);
    assert.deepEqual(menu(row('experiment', { queueId: 'q', state: 'queued' })), ['expCopyCsv', 'expCopyMarkdown', 'expRemove', 'expShowLogs', 'modifyParamsAndRun']);
    assert.deepEqual(menu(row('experiment', { queueId: 'q', state: 'running' })), ['expCopyCsv', 'expCopyMarkdown', 'expShowLogs', 'expStop', 'modifyParamsAndRun']);
    assert.deepEqual(menu(row('experiment', { queueId: 'q', state: 'failed' })), ['expCopyCsv', 'expCopyMarkdown', 'expShowLogs', 'modifyParamsAndRun']);
    // dvc's own workspace run: Stop and Show Logs say where it runs.
    assert.deepEqual(menu(row('experiment', { state: 'running' })), ['expCopyCsv', 'expCopyMarkdown', 'expShowLogs', 'expStop', 'modifyParamsAndRun']);
  });
});
