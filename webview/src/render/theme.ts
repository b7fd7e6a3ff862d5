/**
 * Colours for the canvas, read from VS Code's theme variables (--vscode-*),
 * so light, dark and high-contrast themes follow without a reload: VS Code
 * rewrites the variables and the body's theme class, and we read them again.
 * Fallbacks are VS Code's Dark Modern values, for a page outside VS Code.
 */
import type { AttemptOutcome } from '../model/types';

export interface Palette {
  background: string;
  foreground: string;
  muted: string;
  grid: string;
  laneStripe: string;
  groupBackground: string;
  border: string;
  focus: string;
  running: string;
  outcome: Record<AttemptOutcome, string>;
  queueWait: string;
  etaWait: string;
  liveEdge: string;
  /** Set in high-contrast themes: bars get an outline in it. */
  contrastBorder: string;
  font: string;
  highContrast: boolean;
}

export function readPalette(root: Element = document.documentElement): Palette {
  const style = getComputedStyle(root);
  const v = (name: string, fallback: string) => style.getPropertyValue(`--vscode-${name}`).trim() || fallback;
  const foreground = v('foreground', '#cccccc');
  const body = document.body;
  const highContrast = body.classList.contains('vscode-high-contrast') || body.classList.contains('vscode-high-contrast-light');
  return {
    background: v('editor-background', '#1f1f1f'),
    foreground,
    muted: v('descriptionForeground', '#9d9d9d'),
    grid: v('editorIndentGuide-background1', v('panel-border', '#404040')),
    laneStripe: v('list-hoverBackground', '#2a2d2e'),
    groupBackground: v('sideBar-background', '#181818'),
    border: v('panel-border', '#2b2b2b'),
    focus: v('focusBorder', '#0078d4'),
    running: v('charts-blue', '#3794ff'),
    outcome: {
      SUCCESS: v('testing-iconPassed', v('charts-green', '#73c991')),
      FAILURE: v('testing-iconFailed', v('charts-red', '#f14c4c')),
      RETRY: v('charts-orange', v('editorWarning-foreground', '#d18616')),
      REVOKED: v('disabledForeground', '#8b8b8b'),
      REJECTED: v('charts-purple', '#b180d7'),
      LOST: v('charts-yellow', '#cca700'),
    },
    queueWait: v('charts-lines', foreground),
    etaWait: v('charts-purple', '#b180d7'),
    liveEdge: v('editorCursor-foreground', v('charts-blue', '#3794ff')),
    contrastBorder: highContrast ? v('contrastBorder', '#6fc3df') : '',
    font: `${v('font-size', '12px')} ${v('font-family', 'system-ui, sans-serif')}`,
    highContrast,
  };
}

/** Calls `onChange` when the theme changes (VS Code swaps body classes and the root's style). */
export function watchTheme(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  return () => observer.disconnect();
}
