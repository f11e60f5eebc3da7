import type { FromRunForm, RunFormPayload, ToRunForm } from './messages';
import { checkForm, fieldKey, type ParamField } from './runForm';

/**
 * The "Modify Params and Run" form's page: the params of the chosen row grouped by file, an input
 * per value (a checkbox for booleans, text for the rest, since a field may hold a sweep), each
 * checked as it is typed (`runForm.ts`) with the problem beside it, and the number of runs the
 * form makes shown before anything is sent. Nothing is sent while a field has a problem.
 */

declare function acquireVsCodeApi(): { postMessage(m: FromRunForm): void };
const vscode = acquireVsCodeApi();

let payload: RunFormPayload | undefined;
/** One input per field, in the payload's order, and the element its problem is shown in. */
let inputs: { field: ParamField; input: HTMLInputElement; problem: HTMLElement; row: HTMLElement }[] = [];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const textOf = (i: (typeof inputs)[number]) => (i.field.kind === 'boolean' ? String(i.input.checked) : i.input.value);

function render(p: RunFormPayload): void {
  payload = p;
  const root = document.getElementById('root')!;
  root.replaceChildren();
  const heading = el('div', 'heading');
  heading.append(el('h2', undefined, `Modify Params and Run — ${p.repository}`), el('span', 'source', `params of ${p.source}`));
  root.append(heading);
  if (p.readOnly) root.append(el('p', 'read-only', p.readOnly));
  for (const line of p.skipped) root.append(el('p', 'skipped', line));
  const form = el('form');
  form.noValidate = true;
  inputs = [];
  const files = [...new Set(p.fields.map((f) => f.file))];
  for (const file of files) {
    const set = el('fieldset');
    set.append(el('legend', undefined, file));
    for (const field of p.fields.filter((f) => f.file === file)) set.append(fieldRow(field, !!p.readOnly));
    form.append(set);
  }
  if (!p.fields.length) form.append(el('p', 'empty', 'No params to set: this revision has no params file -S can change (params.yaml, or a .yaml/.json/.toml file of a stage).'));
  form.append(footer(!!p.readOnly));
  form.addEventListener('submit', (e) => e.preventDefault());
  root.append(form);
  update();
  vscode.postMessage({ type: 'rendered', fields: p.fields.length });
}

function fieldRow(field: ParamField, readOnly: boolean): HTMLElement {
  const row = el('div', 'field');
  const id = `field-${inputs.length}`;
  const label = el('label', 'key', fieldKey(field));
  label.htmlFor = id;
  const input = el('input');
  input.id = id;
  input.dataset.field = `${field.file}:${fieldKey(field)}`;
  input.disabled = readOnly;
  if (field.kind === 'boolean') {
    input.type = 'checkbox';
    input.checked = field.value === 'true';
  } else {
    input.type = 'text';
    input.spellcheck = false;
    input.value = field.value;
    if (field.kind === 'number') input.inputMode = 'decimal';
    input.placeholder = field.kind === 'number' ? 'a number, 0.1,0.2 or range(1,5)' : field.kind === 'list' ? '[a, b]' : '';
  }
  const kind = el('span', 'kind', field.kind);
  const problem = el('span', 'problem');
  problem.setAttribute('role', 'alert');
  input.setAttribute('aria-describedby', `${id}-problem`);
  problem.id = `${id}-problem`;
  input.addEventListener(field.kind === 'boolean' ? 'change' : 'input', () => update());
  row.append(label, input, kind, problem);
  inputs.push({ field, input, problem, row });
  return row;
}

let runsLine: HTMLElement;
let nameInput: HTMLInputElement;
let jobsInput: HTMLInputElement;
let jobsLabel: HTMLElement;
let runButton: HTMLButtonElement;
let queueButton: HTMLButtonElement;
let outcome: HTMLElement;

function footer(readOnly: boolean): HTMLElement {
  const bar = el('div', 'actions');
  runsLine = el('span', 'runs');
  runsLine.setAttribute('aria-live', 'polite');
  const nameLabel = el('label', undefined, 'Name ');
  nameInput = el('input', 'name');
  nameInput.type = 'text';
  nameInput.placeholder = 'optional';
  nameInput.disabled = readOnly;
  nameLabel.append(nameInput);
  jobsLabel = el('label', 'jobs', 'Workers ');
  jobsInput = el('input');
  jobsInput.type = 'number';
  jobsInput.min = '1';
  jobsInput.value = '1';
  jobsInput.disabled = readOnly;
  jobsLabel.append(jobsInput);
  runButton = el('button', 'primary');
  runButton.type = 'button';
  queueButton = el('button', 'secondary');
  queueButton.type = 'button';
  runButton.addEventListener('click', () => submit('run'));
  queueButton.addEventListener('click', () => submit('queue'));
  outcome = el('p', 'outcome');
  outcome.setAttribute('role', 'status');
  const wrap = el('div', 'footer');
  bar.append(runsLine, nameLabel, jobsLabel, runButton, queueButton);
  wrap.append(bar, outcome);
  return wrap;
}

/** Check every field, show each problem beside its field, and the runs the form makes. */
function update(): ReturnType<typeof checkForm> | undefined {
  if (!payload) return undefined;
  const check = checkForm(payload.fields, inputs.map(textOf));
  inputs.forEach((i, n) => {
    i.problem.textContent = check.problems[n] ?? '';
    i.input.classList.toggle('invalid', !!check.problems[n]);
    i.input.setAttribute('aria-invalid', String(!!check.problems[n]));
    i.row.classList.toggle('changed', !check.problems[n] && textOf(i).trim() !== i.field.workspace);
  });
  const bad = check.problems.filter((p) => p).length;
  const sweep = check.sweep;
  runsLine.textContent = bad ? `${bad} field${bad === 1 ? '' : 's'} to fix` : `${check.runs} run${check.runs === 1 ? '' : 's'}${check.runs > payload.askAbove ? ' (asks before queuing)' : ''}`;
  runsLine.classList.toggle('invalid', bad > 0);
  runButton.textContent = sweep ? 'Run Sweep' : 'Run';
  runButton.title = sweep ? 'Queue every run of the sweep and start the workers' : 'Run in the workspace (in a terminal)';
  queueButton.textContent = sweep ? 'Queue Sweep' : 'Queue';
  jobsLabel.hidden = !sweep;
  runButton.disabled = queueButton.disabled = !!payload.readOnly || bad > 0;
  return check;
}

function submit(action: 'run' | 'queue'): void {
  const check = update();
  if (!check || payload?.readOnly) return;
  const first = check.problems.findIndex((p) => p);
  if (first >= 0) {
    inputs[first].input.focus();
    return;
  }
  const jobs = Math.max(1, Math.floor(Number(jobsInput.value) || 1));
  outcome.textContent = action === 'run' && !check.sweep ? 'Starting…' : check.runs > payload!.askAbove ? `Queue ${check.runs} runs? Answer in the notification.` : 'Queuing…';
  outcome.className = 'outcome';
  vscode.postMessage({ type: 'submit', action, name: nameInput.value.trim(), values: inputs.map(textOf), jobs });
}

window.addEventListener('message', (event: MessageEvent<ToRunForm>) => {
  const m = event.data;
  if (m.type === 'show') render(m.payload);
  else if (m.type === 'outcome') {
    outcome.textContent = m.message;
    outcome.className = `outcome ${m.ok ? 'ok' : 'invalid'}`;
    const field = inputs[m.field];
    if (field && !m.ok) {
      field.problem.textContent = m.message;
      field.input.classList.add('invalid');
      field.input.focus();
    }
  }
});

vscode.postMessage({ type: 'ready' });
