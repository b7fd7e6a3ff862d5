/** A task module that does not build: its errors in the Problems panel. */
import * as vscode from 'vscode';
import type { ModuleBuildError } from '../../runtime/loader/load-task-module';

export function showBuildErrors(collection: vscode.DiagnosticCollection, err: ModuleBuildError): void {
  const byFile = new Map<string, vscode.Diagnostic[]>();
  for (const p of err.problems) {
    const file = p.file ?? err.entry;
    const line = Math.max(0, (p.line ?? 1) - 1);
    const column = Math.max(0, p.column ?? 0);
    const d = new vscode.Diagnostic(new vscode.Range(line, column, line, column + 1), p.text, vscode.DiagnosticSeverity.Error);
    d.source = 'celeriac';
    byFile.set(file, [...(byFile.get(file) ?? []), d]);
  }
  for (const [file, diagnostics] of byFile) collection.set(vscode.Uri.file(file), diagnostics);
}
