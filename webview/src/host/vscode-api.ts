/**
 * The page's only line to the extension host: VS Code injects
 * `acquireVsCodeApi()` (callable once); everything sent is a typed
 * WebviewToHostMessage, and the view state survives hiding the panel.
 */
import type { WebviewToHostMessage } from '../../../src/shared/timeline-protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface HostChannel<S> {
  post(message: WebviewToHostMessage): void;
  getState(): S | undefined;
  setState(state: S): void;
}

export function connectToHost<S>(isState: (value: unknown) => value is S): HostChannel<S> {
  // Outside VS Code (a plain page) nothing is sent and state is not kept.
  const api: VsCodeApi = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : { postMessage() {}, getState: () => undefined, setState() {} };
  return {
    post: (message) => api.postMessage(message),
    getState: () => {
      const s = api.getState();
      return isState(s) ? s : undefined;
    },
    setState: (state) => api.setState(state),
  };
}
