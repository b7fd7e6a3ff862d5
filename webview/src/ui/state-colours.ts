/** The CSS colour of each state and attempt outcome, from the same theme variables the canvas uses. */
import type { TimelineTaskState } from '../../../src/shared/timeline-protocol';
import type { AttemptOutcome } from '../model/types';

const COLOURS: Record<TimelineTaskState | AttemptOutcome, string> = {
  PENDING: 'var(--vscode-charts-lines, #9d9d9d)',
  RECEIVED: 'var(--vscode-charts-lines, #9d9d9d)',
  STARTED: 'var(--vscode-charts-blue, #3794ff)',
  SUCCESS: 'var(--vscode-testing-iconPassed, #73c991)',
  FAILURE: 'var(--vscode-testing-iconFailed, #f14c4c)',
  RETRY: 'var(--vscode-charts-orange, #d18616)',
  REVOKED: 'var(--vscode-disabledForeground, #8b8b8b)',
  REJECTED: 'var(--vscode-charts-purple, #b180d7)',
  LOST: 'var(--vscode-charts-yellow, #cca700)',
};

export function stateColour(state: TimelineTaskState | AttemptOutcome | undefined): string {
  return state ? COLOURS[state] : 'var(--vscode-disabledForeground, #8b8b8b)';
}
