/**
 * Every command the extension contributes: the one source of ids and titles. A unit test
 * checks package.json's `contributes.commands` against this list, and the extension
 * registers a handler for each (a missing handler fails at activation).
 */
export const COMMANDS = {
  init: { id: 'cairn.init', title: 'Initialize Repository', icon: '$(add)' },
  add: { id: 'cairn.add', title: 'Add to Cairn', icon: '$(cloud-upload)' },
  commit: { id: 'cairn.commit', title: 'Commit Changed Data', icon: '$(check)' },
  checkout: { id: 'cairn.checkout', title: 'Checkout (Restore Data from Cache)', icon: '$(discard)' },
  remove: { id: 'cairn.remove', title: 'Stop Tracking (Remove .dvc File)', icon: '$(trash)' },
  showStatus: { id: 'cairn.showStatus', title: 'Show Status', icon: '$(pulse)' },
  compareWithRevision: { id: 'cairn.compareWithRevision', title: 'Compare Data with Revision…', icon: '$(git-compare)' },
  revealInExplorer: { id: 'cairn.revealInExplorer', title: 'Reveal in Explorer', icon: '$(file-symlink-directory)' },
  openDvcFile: { id: 'cairn.openDvcFile', title: 'Open .dvc File', icon: '$(go-to-file)' },
  refresh: { id: 'cairn.refresh', title: 'Refresh', icon: '$(refresh)' },
  showMore: { id: 'cairn.showMore', title: 'Show More', icon: '$(ellipsis)' },
  showMetrics: { id: 'cairn.showMetrics', title: 'Show Metric Diff', icon: '$(graph)' },
  compareMetricsWithHead: { id: 'cairn.compareMetricsWithHead', title: 'Compare Metrics with HEAD', icon: '$(git-compare)' },
  compareSelectedRuns: { id: 'cairn.compareSelectedRuns', title: 'Compare Selected Runs', icon: '$(diff-multiple)' },
  refreshRuns: { id: 'cairn.refreshRuns', title: 'Refresh Runs', icon: '$(refresh)' },
  repro: { id: 'cairn.repro', title: 'Repro Pipeline', icon: '$(run-all)' },
  reproStage: { id: 'cairn.reproStage', title: 'Repro Stage (with Changed Upstream Stages)', icon: '$(run-above)' },
  runStage: { id: 'cairn.runStage', title: 'Run Stage', icon: '$(play)' },
  showDag: { id: 'cairn.showDag', title: 'Show Pipeline DAG', icon: '$(type-hierarchy)' },
  refreshPipelines: { id: 'cairn.refreshPipelines', title: 'Refresh Pipelines', icon: '$(refresh)' },
  push: { id: 'cairn.push', title: 'Push Data to Remote', icon: '$(cloud-upload)' },
  pull: { id: 'cairn.pull', title: 'Pull Data from Remote', icon: '$(cloud-download)' },
  fetch: { id: 'cairn.fetch', title: 'Fetch Data from Remote (into the Cache)', icon: '$(arrow-down)' },
  refreshRemoteStatus: { id: 'cairn.refreshRemoteStatus', title: 'Check Remote Status', icon: '$(cloud)' },
  addRemote: { id: 'cairn.addRemote', title: 'Add Remote…', icon: '$(add)' },
  modifyRemote: { id: 'cairn.modifyRemote', title: 'Modify Remote Option…', icon: '$(edit)' },
  setRemoteCredentials: { id: 'cairn.setRemoteCredentials', title: 'Set Remote Credentials…', icon: '$(key)' },
  setDefaultRemote: { id: 'cairn.setDefaultRemote', title: 'Set as Default Remote', icon: '$(star-full)' },
  removeRemote: { id: 'cairn.removeRemote', title: 'Remove Remote', icon: '$(trash)' },
  chooseRunBranches: { id: 'cairn.chooseRunBranches', title: 'Show Other Branches in Runs…', icon: '$(git-branch)' },
  showExperiments: { id: 'cairn.showExperiments', title: 'Show Experiments', icon: '$(beaker)' },
  plotSelectedExperiments: { id: 'cairn.plotSelectedExperiments', title: 'Plot Selected Experiments', icon: '$(graph-line)' },
} as const;

export type CommandKey = keyof typeof COMMANDS;
export const CATEGORY = 'Cairn';
