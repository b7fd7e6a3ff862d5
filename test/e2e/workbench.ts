/**
 * Driving VS Code 1.100's workbench (served by code-server) with playwright:
 * the selectors that hold on this version, behind small intention-named helpers.
 */
import type { FrameLocator, Locator, Page } from 'playwright-core';

const DEFAULT_TIMEOUT = 20_000;

/** Monaco renders spaces as non-breaking spaces. */
export function plainText(text: string): string {
  return text.replace(/\u00a0/g, ' ');
}

export class Workbench {
  constructor(readonly page: Page) {
    page.setDefaultTimeout(DEFAULT_TIMEOUT);
  }

  async waitReady(): Promise<void> {
    await this.page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 });
    await this.page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 60_000 });
  }

  /** The Celeriac container in the activity bar. */
  async openCeleriac(): Promise<void> {
    const icon = this.page.locator('.part.activitybar a.action-label[aria-label^="Celeriac"]');
    await icon.click();
    await this.view('Queues').waitFor();
  }

  /** A view pane of the side bar by its title. */
  view(title: string): Locator {
    return this.page.locator('.part.sidebar .pane').filter({ has: this.page.locator('.pane-header h3.title', { hasText: new RegExp(`^${title}$`, 'i') }) });
  }

  /** Tree rows of a view whose text contains every given piece. */
  row(viewTitle: string, ...texts: (string | RegExp)[]): Locator {
    let rows = this.view(viewTitle).locator('.monaco-list-row');
    for (const t of texts) rows = rows.filter({ hasText: t });
    return rows;
  }

  /** Expand a view pane if it is collapsed. */
  async expandView(title: string): Promise<void> {
    const header = this.view(title).locator('.pane-header');
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  }

  /** Expand a collapsed tree row (rows without a command toggle on click). */
  async expandRow(row: Locator): Promise<void> {
    await row.waitFor();
    if ((await row.getAttribute('aria-expanded')) === 'false') await row.click();
    await row.and(this.page.locator('[aria-expanded="true"]')).waitFor();
  }

  get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  private get quickInputBox(): Locator {
    return this.quickInput.locator('.quick-input-box input');
  }

  /** F1, type the command's title, run it. */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('F1');
    await this.quickInput.waitFor({ state: 'visible' });
    await this.quickInputBox.fill(`>${title}`);
    // The first (highlighted) row must be the command, not a fuzzy neighbour.
    await this.quickInput.locator('.monaco-list-row.focused', { hasText: title }).first().waitFor();
    await this.page.keyboard.press('Enter');
  }

  /** In an open quick pick: filter by `text`, wait for a matching row to be focused, accept it. */
  async pick(text: string, filter: string = text): Promise<void> {
    await this.quickInput.waitFor({ state: 'visible' });
    await this.quickInputBox.fill(filter);
    await this.quickInput.locator('.monaco-list-row.focused', { hasText: text }).first().waitFor();
    await this.page.keyboard.press('Enter');
  }

  /** In an input box whose prompt or title contains `prompt`: type `value` (replacing the default) and accept. */
  async input(prompt: string, value?: string): Promise<void> {
    await this.quickInput.filter({ hasText: prompt }).waitFor({ state: 'visible' });
    if (value !== undefined) await this.quickInputBox.fill(value);
    await this.page.keyboard.press('Enter');
  }

  notification(text: string | RegExp): Locator {
    return this.page.locator('.notifications-toasts .notification-toast', { hasText: text });
  }

  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
  }

  /** A modal dialog whose text contains `text`. */
  dialog(text: string | RegExp): Locator {
    return this.page.locator('.monaco-dialog-box', { hasText: text });
  }

  /** Quick Open a workspace file by name and wait for its editor to be active. */
  async openFile(name: string): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+P');
    await this.quickInput.waitFor({ state: 'visible' });
    await this.quickInputBox.fill(name);
    await this.quickInput.locator('.monaco-list-row.focused', { hasText: name }).first().waitFor();
    await this.page.keyboard.press('Enter');
    await this.activeTab(name).waitFor();
    await this.activeEditor.locator('.view-lines').waitFor();
  }

  activeTab(name: string): Locator {
    return this.page.locator('.part.editor .tab.active', { hasText: name });
  }

  get activeEditor(): Locator {
    return this.page.locator('.part.editor .editor-instance .monaco-editor').first();
  }

  /** The visible text of the active editor. */
  async editorText(): Promise<string> {
    return plainText(await this.activeEditor.locator('.view-lines').innerText());
  }

  /** Find/Replace (Ctrl+H) in the active editor: replace every `from` with `to`. */
  async replaceAll(from: string, to: string): Promise<void> {
    await this.activeEditor.locator('.view-lines').click();
    await this.page.keyboard.press('Control+H');
    const widget = this.page.locator('.part.editor .find-widget.visible');
    await widget.waitFor();
    await widget.locator('.find-part textarea').fill(from);
    await widget.locator('.replace-part textarea').fill(to);
    await widget.locator('.matchesCount', { hasText: /^1 of 1$/ }).waitFor();
    await this.page.keyboard.press('Control+Alt+Enter');
    await widget.locator('.matchesCount', { hasText: /No results/ }).waitFor();
    await this.page.keyboard.press('Escape');
  }

  /** Ctrl+S in the active editor, and wait until it is no longer dirty. */
  async save(name: string): Promise<void> {
    await this.activeEditor.locator('.view-lines').click();
    await this.page.locator('.part.editor .tab.active.dirty', { hasText: name }).waitFor();
    await this.page.keyboard.press('Control+S');
    await this.page.locator('.part.editor .tab.active:not(.dirty)', { hasText: name }).waitFor();
  }

  /** The text of the output view in the panel (its visible part, which follows the end). */
  async outputText(): Promise<string> {
    return plainText(await this.page.locator('.part.panel .monaco-editor .view-lines').first().innerText());
  }

  /** Drag the side bar's edge so it is `width` pixels wide. */
  async setSidebarWidth(width: number): Promise<void> {
    const box = await this.page.locator('.part.sidebar').boundingBox();
    if (!box) throw new Error('no side bar');
    const y = box.y + box.height / 2;
    await this.page.mouse.move(box.x + box.width, y);
    await this.page.mouse.down();
    await this.page.mouse.move(box.x + width, y, { steps: 5 });
    await this.page.mouse.up();
  }

  /** The page inside the active webview panel (VS Code nests it: iframe.webview > iframe#active-frame). */
  webview(): FrameLocator {
    return this.page.locator('iframe.webview.ready').last().contentFrame().frameLocator('iframe#active-frame');
  }

  statusBarItem(text: string | RegExp): Locator {
    return this.page.locator('.part.statusbar .statusbar-item', { hasText: text });
  }
}
