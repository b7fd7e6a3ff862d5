import * as vscode from 'vscode';
import { supportedBrokerSchemes } from '../../runtime/brokers/create-broker';
import { urlScheme, redactUrl } from '../../runtime/url';
import type { CommandFactory } from './command';

function validateUrl(value: string): string | undefined {
  const v = value.trim();
  if (!v) return 'Enter a broker URL, e.g. redis://localhost:6379/0';
  const scheme = urlScheme(v);
  if (!supportedBrokerSchemes().includes(scheme)) return `Unsupported scheme '${scheme || '(none)'}': use ${supportedBrokerSchemes().join(', ')}`;
  return undefined;
}

/** Connect to Broker…: the URL's password goes to SecretStorage, never to settings or logs. */
export const connectCommand: CommandFactory = (s) => ({
  id: 'celeriac.connect',
  async execute() {
    const url = await vscode.window.showInputBox({
      title: 'Connect to Broker',
      prompt: 'Broker URL (a password in it is kept in the OS keychain, not in settings)',
      placeHolder: 'redis://:password@localhost:6379/0',
      ignoreFocusOut: true,
      validateInput: validateUrl,
    });
    if (!url) return;
    const backend = /^(redis|rediss|sentinel):/.test(url.trim())
      ? url.trim()
      : await vscode.window.showInputBox({
          title: 'Result backend (optional)',
          prompt: 'Result backend URL, or leave empty for none',
          placeHolder: 'redis://localhost:6379/0',
          ignoreFocusOut: true,
        });
    const saved = await s.connections.store.add(url.trim(), backend?.trim() || undefined);
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Connecting to ${redactUrl(url)}…` }, async () => {
      try {
        await s.connections.open(saved);
      } catch (err) {
        await s.connections.remove(saved.id);
        throw err;
      }
    });
    s.log.info(`connected to ${saved.url}`);
    void vscode.window.showInformationMessage(`Celeriac: connected to ${saved.url}.`);
  },
});
