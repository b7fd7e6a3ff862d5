// The timeline panel's browser code. It talks to the extension host only by
// typed messages (src/shared/timeline-protocol.ts) and never imports Node or
// vscode. This entry wires the page and says `ready`; the host answers with
// init and the history.
import { installDebugHook } from './debug-hook';
import { connectToHost } from './host/vscode-api';
import { TimelineApp } from './timeline-app';
import './ui/elements';
import { adoptStyles } from './ui/styles';
import { isViewState } from './view-state';

adoptStyles();
const channel = connectToHost(isViewState);
const root = document.getElementById('root') ?? document.body;
root.textContent = '';
const app = new TimelineApp(root, channel);
installDebugHook(app);
window.addEventListener('message', (e: MessageEvent) => app.handle(e.data));
channel.post({ type: 'ready' });
