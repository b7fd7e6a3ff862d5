/**
 * "Retry with edited args": the task's args and kwargs converted to JSON
 * (best effort from Python reprs), editable, validated on every keystroke;
 * the Retry button is blocked while either is invalid or the task's name is
 * unknown, and says why.
 */
import { reprToEditorText } from '../model/py-literal';
import { validateRetryInput } from '../model/retry-input';
import type { TaskRecord } from '../model/types';
import { h } from './dom';

export interface RetrySubmit {
  args: unknown[];
  kwargs: Record<string, unknown>;
}

export class RetryEditor {
  readonly element: HTMLElement;
  private readonly argsBox: HTMLTextAreaElement;
  private readonly kwargsBox: HTMLTextAreaElement;
  private readonly argsError: HTMLElement;
  private readonly kwargsError: HTMLElement;
  private readonly button: HTMLElement & { disabled: boolean };

  constructor(
    private readonly task: TaskRecord,
    private readonly submit: (input: RetrySubmit) => void,
    warnUnregistered: boolean,
  ) {
    const args = reprToEditorText(task.args, '[]');
    const kwargs = reprToEditorText(task.kwargs, '{}');
    this.argsBox = h('textarea', { attrs: { id: 'tl-retry-args', spellcheck: 'false', 'aria-describedby': 'tl-retry-args-error', rows: 2 } });
    this.kwargsBox = h('textarea', { attrs: { id: 'tl-retry-kwargs', spellcheck: 'false', 'aria-describedby': 'tl-retry-kwargs-error', rows: 2 } });
    this.argsBox.value = args.text;
    this.kwargsBox.value = kwargs.text;
    this.argsError = h('div', { class: 'tl-error', attrs: { id: 'tl-retry-args-error', role: 'alert' } });
    this.kwargsError = h('div', { class: 'tl-error', attrs: { id: 'tl-retry-kwargs-error', role: 'alert' } });
    this.button = h('vscode-button', { text: 'Retry', attrs: { 'aria-label': 'Retry with these args' }, on: { click: () => this.onSubmit() } }) as HTMLElement & { disabled: boolean };
    const notes = [
      !args.converted || !kwargs.converted ? 'Some of the original could not be turned into JSON: fix it by hand.' : '',
      warnUnregistered ? `No worker reported registering ${task.name}: it may not run.` : '',
    ].filter(Boolean);
    this.element = h(
      'div',
      { class: 'tl-editor' },
      h('label', { text: 'args (JSON array)', attrs: { for: 'tl-retry-args' } }),
      this.argsBox,
      this.argsError,
      h('label', { text: 'kwargs (JSON object)', attrs: { for: 'tl-retry-kwargs' } }),
      this.kwargsBox,
      this.kwargsError,
      ...notes.map((n) => h('div', { class: 'tl-note', text: n })),
      h('div', { class: 'tl-actions' }, this.button),
    );
    this.argsBox.addEventListener('input', () => this.validate());
    this.kwargsBox.addEventListener('input', () => this.validate());
    // Errors of the original (not-yet-converted) text show from the start.
    this.validate(!args.converted ? args.error : undefined, !kwargs.converted ? kwargs.error : undefined);
  }

  private validate(argsHint?: string, kwargsHint?: string): ReturnType<typeof validateRetryInput> {
    const r = validateRetryInput(this.argsBox.value, this.kwargsBox.value);
    const argsError = r.ok ? undefined : r.argsError && (argsHint ? `${r.argsError} — Python repr: ${argsHint}` : r.argsError);
    const kwargsError = r.ok ? undefined : r.kwargsError && (kwargsHint ? `${r.kwargsError} — Python repr: ${kwargsHint}` : r.kwargsError);
    this.argsError.textContent = argsError ?? '';
    this.kwargsError.textContent = kwargsError ?? '';
    this.argsBox.setAttribute('aria-invalid', String(!!argsError));
    this.kwargsBox.setAttribute('aria-invalid', String(!!kwargsError));
    const blocked = !r.ok || !this.task.name;
    this.button.disabled = blocked;
    this.button.toggleAttribute('disabled', blocked);
    if (!this.task.name) this.argsError.textContent = 'The task name is unknown (no event carried it), so it cannot be sent again.';
    return r;
  }

  private onSubmit(): void {
    const r = this.validate();
    if (!r.ok || !this.task.name) return;
    this.submit({ args: r.args, kwargs: r.kwargs });
  }
}
