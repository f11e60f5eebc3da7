import { strict as assert } from 'node:assert';
import { commands } from '../../src/cli/main';
import { Command, isGroup } from '../../src/cli/command';
import { allOptions, commandHelp } from '../../src/cli/help';
import { nearestName } from '../../src/core/nearestName';
import { cairn, cairnOk, tempGitRepo, writeFiles } from '../support/fixtures';

/** Every command as typed: `add`, `stage add`, … */
function everyCommand(): [string[], Command][] {
  return Object.entries(commands).flatMap(([name, c]): [string[], Command][] => (isGroup(c) ? Object.entries(c.subcommands).map(([sub, s]): [string[], Command] => [[name, sub], s]) : [[[name], c]]));
}

describe('cairn help and usage errors', () => {
  it("every command's help names each of its options in the usage line and describes it", () => {
    for (const [words, command] of everyCommand()) {
      const help = commandHelp(words, command);
      const usage = help.slice(help.indexOf('Usage:'), help.indexOf('\n\n', help.indexOf('Usage:')));
      for (const [name, spec] of Object.entries(allOptions(command))) {
        const flag = spec.short ? `-${spec.short}` : `--${name}`;
        assert.ok(usage.includes(flag), `${words.join(' ')}: usage lists ${flag}\n${usage}`);
        assert.ok(spec.help.trim().length > 10, `${words.join(' ')} --${name} is described`);
        assert.match(help, new RegExp(`^ {2}${spec.short ? `-${spec.short}, ` : ''}--${name}\\b`, 'm'), `${words.join(' ')}: --${name} has a help line`);
      }
    }
  });

  it('shows -j in the usage of status, commit, checkout and repro; `cairn help <cmd>` prints what --help does', () => {
    const repo = tempGitRepo();
    for (const name of ['status', 'commit', 'checkout', 'repro']) {
      const help = cairnOk(repo, name, '--help');
      assert.match(help, /\[-j <number>\]/, `${name}: ${help}`);
      assert.match(help, /-j, --jobs <number> +\S/, name);
      assert.equal(cairnOk(repo, 'help', name), help);
    }
    assert.equal(cairnOk(repo, 'help', 'stage', 'add'), cairnOk(repo, 'stage', 'add', '-h'));
    assert.match(cairnOk(repo, 'help', 'stage'), /^ {2}list +List/m);
  });

  it('suggests the command meant for a mistyped one, and exits 254 as dvc does for a usage error', () => {
    const repo = tempGitRepo();
    const stat = cairn(repo, 'stat');
    assert.equal(stat.status, 254);
    assert.equal(stat.stderr, "ERROR: 'stat' is not a cairn command. Did you mean 'status'? Run `cairn --help` to see the commands.\n");
    const sub = cairn(repo, 'metrics', 'shwo');
    assert.equal(sub.status, 254);
    assert.match(sub.stderr, /'shwo' is not a command of 'cairn metrics'\. Did you mean 'show'\?/);
    assert.equal(cairn(repo, 'help', 'comit').stderr, "ERROR: 'comit' is not a cairn command. Did you mean 'commit'? Run `cairn --help` to see the commands.\n");
    assert.equal(cairn(repo, '-x').stderr, "ERROR: unknown option '-x': options go after the command (`cairn status -q`). Run `cairn --help` to see the commands.\n");
    cairnOk(repo, 'init');
    assert.equal(cairn(repo, '-q', 'status').stdout, '', '-q before the command, as dvc takes it');
    const nothingNear = cairn(repo, 'frobnicate');
    assert.equal(nothingNear.stderr, "ERROR: 'frobnicate' is not a cairn command. Run `cairn --help` to see the commands.\n");
  });

  it('says which option is unknown, or lacks or should not have a value, in one line with the command named', () => {
    const repo = tempGitRepo();
    const cases: [string[], string][] = [
      [['status', '--jsn'], "ERROR: unknown option '--jsn' for 'cairn status'. Did you mean '--json'? Run `cairn status --help` to see its options.\n"],
      [['stage', 'list', '--bogus'], "ERROR: unknown option '--bogus' for 'cairn stage list'. Run `cairn stage list --help` to see its options.\n"],
      [['push', '-j'], "ERROR: option '--jobs' needs a value: --jobs <number>. Run `cairn push --help` to see its options.\n"],
      [['repro', '--dry=yes'], "ERROR: option '--dry' takes no value. Run `cairn repro --help` to see its options.\n"],
      [['stage', 'add', 'echo', 'hi'], "ERROR: 'cairn stage add' needs --name <name> (the stage name). Run `cairn stage add --help` to see its options.\n"],
    ];
    for (const [args, stderr] of cases) {
      const r = cairn(repo, ...args);
      assert.equal(r.stderr, stderr, args.join(' '));
      assert.equal(r.status, 254, args.join(' '));
    }
  });

  it('params show prints the params of the workspace as a table and as JSON', () => {
    const repo = tempGitRepo();
    cairnOk(repo, 'init');
    writeFiles(repo, {
      'params.yaml': 'lr: 0.1\ntrain:\n  epochs: 3\n',
      'dvc.yaml': 'stages:\n  t:\n    cmd: echo\n    params:\n    - lr\n    - train.epochs\n',
    });
    assert.equal(cairnOk(repo, 'params', 'show'), 'Path         lr    train.epochs\nparams.yaml  0.1   3\n');
    assert.deepEqual(JSON.parse(cairnOk(repo, 'params', 'show', '--json')), { '': { data: { 'params.yaml': { data: { lr: 0.1, train: { epochs: 3 } } } } } });
  });

  it('finds the nearest name within two edits (one for short names)', () => {
    assert.equal(nearestName('stat', ['status', 'add', 'dag']), 'status');
    assert.equal(nearestName('abc', ['add', 'dag']), undefined);
    assert.equal(nearestName('ad', ['add', 'dag']), 'add');
    assert.equal(nearestName('zzzzzz', ['status']), undefined);
  });
});
