/**
 * A tiny sequential step runner for the UI sessions: each step is timed and
 * screenshotted; after a failing step the session's later steps are skipped
 * (they build on its state).
 */
import * as path from 'node:path';
import type { Page } from 'playwright-core';

export interface StepResult {
  session: string;
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  ms: number;
  error?: string;
}

export class StepRunner {
  readonly results: StepResult[] = [];
  private failed = false;
  private n = 0;

  constructor(
    readonly session: string,
    readonly page: Page,
    private readonly artifacts: string,
  ) {}

  async screenshot(name: string): Promise<string> {
    const file = path.join(this.artifacts, `${this.session}-${name}.png`);
    await this.page.screenshot({ path: file }).catch(() => undefined);
    return file;
  }

  async step(name: string, fn: () => Promise<void>): Promise<void> {
    const slug = `${String(++this.n).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').slice(0, 50).toLowerCase()}`;
    if (this.failed) {
      this.results.push({ session: this.session, name, status: 'skipped', ms: 0 });
      console.log(`  - ${name} (skipped)`);
      return;
    }
    const started = Date.now();
    try {
      await fn();
      const ms = Date.now() - started;
      this.results.push({ session: this.session, name, status: 'passed', ms });
      console.log(`  ✔ ${name} (${ms} ms)`);
      await this.screenshot(slug);
    } catch (err) {
      const ms = Date.now() - started;
      this.failed = true;
      const error = (err as Error).stack ?? String(err);
      this.results.push({ session: this.session, name, status: 'failed', ms, error });
      const shot = await this.screenshot(`${slug}-FAILED`);
      console.log(`  ✘ ${name} (${ms} ms)\n${error.replace(/^/gm, '      ')}\n      screenshot: ${shot}`);
    }
  }

  get ok(): boolean {
    return !this.failed;
  }
}
