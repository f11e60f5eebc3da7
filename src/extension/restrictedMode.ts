import * as vscode from 'vscode';

/**
 * VS Code's Restricted Mode (a folder the user has not trusted). Cairn then runs no git and no
 * pipeline code: a repository's `.git/config` can make git run programs (core.fsmonitor,
 * filters, diff drivers). The views show what is read from disk; what needs more says so, with
 * VS Code's own "Manage Workspace Trust" a click away.
 */
export const TRUST_COMMAND = 'workbench.trust.manage';

/** A tree row saying what trusting the folder would bring ("Trust this folder to …"), opening the trust editor when clicked. */
export function trustItem(label: string, id: string): vscode.TreeItem {
  const t = new vscode.TreeItem(label);
  t.id = id;
  t.iconPath = new vscode.ThemeIcon('shield');
  t.tooltip = new vscode.MarkdownString(
    "This folder is in Restricted Mode, so Cairn runs no git and no pipeline command in it: a repository's git config can make git run programs. Trust the folder to see and do the rest.",
  );
  t.command = { command: TRUST_COMMAND, title: 'Trust this folder' };
  t.contextValue = 'cairn.needsTrust';
  return t;
}
