/** Read-only JSON documents (inspect replies, task details) under the `celeriac` scheme. */
import * as vscode from 'vscode';
import { Disposable } from './util/disposable';

export class ReadonlyDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  static readonly scheme = 'celeriac';
  private readonly contents = new Map<string, string>();
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;
  private seq = 0;

  constructor() {
    super();
    this._register(vscode.workspace.registerTextDocumentContentProvider(ReadonlyDocuments.scheme, this));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  /** Open `value` as pretty JSON in a read-only editor titled `title`. */
  show(title: string, value: unknown): Promise<vscode.TextEditor> {
    return this.showText(title, JSON.stringify(value, null, 2) + '\n', 'json');
  }

  /** Open `text` in a read-only editor titled `title` (the extension picks the language). */
  async showText(title: string, text: string, extension = 'txt'): Promise<vscode.TextEditor> {
    const uri = vscode.Uri.from({ scheme: ReadonlyDocuments.scheme, path: `/${title.replace(/[\\/:*?"<>|]/g, '_')}.${extension}`, query: String(++this.seq) });
    this.contents.set(uri.toString(), text);
    // Keep only recent documents' text.
    if (this.contents.size > 50) this.contents.delete(this.contents.keys().next().value!);
    const doc = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(doc, { preview: true });
  }
}
