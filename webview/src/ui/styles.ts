/**
 * The page's CSS, adopted as a constructed stylesheet: allowed under a strict
 * CSP without a nonce or a separate file, and all colours are VS Code theme
 * variables so the theme switches with the editor.
 */
const CSS = `
html, body { height: 100%; margin: 0; padding: 0; overflow: hidden; }
body { color: var(--vscode-foreground, #ccc); background: var(--vscode-editor-background, #1f1f1f);
  font-family: var(--vscode-font-family, system-ui, sans-serif); font-size: var(--vscode-font-size, 13px); }
.tl-app { display: flex; flex-direction: column; height: 100vh; }
.tl-toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 8px; padding: 6px 8px;
  border-bottom: 1px solid var(--vscode-panel-border, #2b2b2b); }
.tl-toolbar vscode-textfield { width: 220px; }
.tl-toolbar vscode-multi-select { width: 130px; }
.tl-facet { display: inline-flex; align-items: center; gap: 4px; }
.tl-facet-label { color: var(--vscode-descriptionForeground, #9d9d9d); }
.tl-toolbar .tl-spacer { flex: 1; }
.tl-counts { color: var(--vscode-descriptionForeground, #9d9d9d); white-space: nowrap; }
.tl-body { flex: 1; display: flex; min-height: 0; }
.tl-chart { flex: 1; display: flex; flex-direction: column; min-width: 0; position: relative; }
.tl-canvas { flex: 1; display: block; width: 100%; min-height: 0; outline: none; cursor: grab; }
.tl-canvas:focus-visible { outline: 1px solid var(--vscode-focusBorder, #0078d4); outline-offset: -1px; }
.tl-canvas.dragging { cursor: grabbing; }
.tl-minimap { height: 40px; display: block; width: 100%; border-top: 1px solid var(--vscode-panel-border, #2b2b2b); cursor: pointer; outline: none; }
.tl-minimap:focus-visible { outline: 1px solid var(--vscode-focusBorder, #0078d4); outline-offset: -1px; }
.tl-legend { display: flex; gap: 10px; flex-wrap: wrap; padding: 3px 8px; color: var(--vscode-descriptionForeground, #9d9d9d); font-size: 11px; }
.tl-legend span::before { content: ''; display: inline-block; width: 10px; height: 8px; margin-right: 4px; background: var(--swatch); vertical-align: middle; }
.tl-legend .wait::before { height: 3px; }
.tl-tooltip { position: absolute; pointer-events: none; z-index: 5; max-width: 360px; padding: 4px 8px;
  background: var(--vscode-editorHoverWidget-background, #252526); color: var(--vscode-editorHoverWidget-foreground, #ccc);
  border: 1px solid var(--vscode-editorHoverWidget-border, #454545); font-size: 12px; white-space: pre-wrap; display: none; }
.tl-details { width: 400px; min-width: 280px; max-width: 60vw; overflow: auto; border-left: 1px solid var(--vscode-panel-border, #2b2b2b);
  padding: 8px 12px; box-sizing: border-box; resize: horizontal; direction: ltr; }
.tl-details[hidden] { display: none; }
.tl-details h2 { font-size: 14px; margin: 0 0 4px; word-break: break-all; }
.tl-details h3 { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; margin: 14px 0 4px; color: var(--vscode-descriptionForeground, #9d9d9d); }
.tl-details pre { margin: 0; padding: 6px; white-space: pre-wrap; word-break: break-word; max-height: 240px; overflow: auto;
  background: var(--vscode-textCodeBlock-background, #2b2b2b); font-family: var(--vscode-editor-font-family, monospace); font-size: 12px; }
.tl-details dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 0; }
.tl-details dt { color: var(--vscode-descriptionForeground, #9d9d9d); }
.tl-details dd { margin: 0; word-break: break-all; }
.tl-details table { border-collapse: collapse; width: 100%; font-size: 12px; }
.tl-details th, .tl-details td { text-align: left; padding: 2px 6px 2px 0; white-space: nowrap; }
.tl-details th { color: var(--vscode-descriptionForeground, #9d9d9d); font-weight: normal; }
.tl-head { display: flex; align-items: start; gap: 8px; }
.tl-head h2 { flex: 1; }
.tl-state { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; color: var(--vscode-editor-background, #1f1f1f); background: var(--state-colour); }
.tl-actions { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-top: 6px; }
.tl-editor label { display: block; margin: 6px 0 2px; }
.tl-editor textarea { width: 100%; box-sizing: border-box; min-height: 44px; resize: vertical; font-family: var(--vscode-editor-font-family, monospace); font-size: 12px;
  color: var(--vscode-input-foreground, #ccc); background: var(--vscode-input-background, #313131); border: 1px solid var(--vscode-input-border, #3c3c3c); padding: 4px; }
.tl-editor textarea[aria-invalid="true"] { border-color: var(--vscode-inputValidation-errorBorder, #be1100); }
.tl-editor textarea:focus { outline: 1px solid var(--vscode-focusBorder, #0078d4); }
.tl-error { color: var(--vscode-errorForeground, #f85149); font-size: 12px; min-height: 1em; }
.tl-note { color: var(--vscode-descriptionForeground, #9d9d9d); font-size: 12px; }
.tl-status { font-size: 12px; margin-top: 6px; }
.tl-status.ok { color: var(--vscode-testing-iconPassed, #73c991); }
.tl-status.fail { color: var(--vscode-errorForeground, #f85149); }
.tl-graph { position: relative; overflow: auto; max-height: 260px; }
.tl-graph svg { position: absolute; left: 0; top: 0; pointer-events: none; }
.tl-graph button { position: absolute; height: 22px; padding: 0 6px 0 16px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
  font: inherit; font-size: 11px; cursor: pointer; color: var(--vscode-foreground, #ccc);
  background: var(--vscode-button-secondaryBackground, #313131); border: 1px solid var(--vscode-panel-border, #2b2b2b); border-radius: 3px; }
.tl-graph button::before { content: ''; position: absolute; left: 5px; top: 7px; width: 7px; height: 7px; border-radius: 50%; background: var(--state-colour); }
.tl-graph button.current { border-color: var(--vscode-focusBorder, #0078d4); border-width: 2px; }
.tl-graph button:focus-visible { outline: 1px solid var(--vscode-focusBorder, #0078d4); }
.tl-link { background: none; border: none; padding: 0; color: var(--vscode-textLink-foreground, #4daafc); cursor: pointer; font: inherit; text-decoration: underline; }
.tl-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.tl-empty { position: absolute; inset: 40% 0 auto 0; text-align: center; color: var(--vscode-descriptionForeground, #9d9d9d); pointer-events: none; }
`;

export function adoptStyles(): void {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}
