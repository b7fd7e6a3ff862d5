/**
 * Which tasks a task module registers, read from its source files without
 * running them: `app.task('name', …)`, `sharedTask('name', …)` and Celery-style
 * `.task({ name: 'name' })` calls, with their locations for "Go to Definition".
 * The files come from esbuild's view of the module (the module and what it
 * imports from the workspace).
 */
import * as fs from 'node:fs';

export interface RegisteredTask {
  name: string;
  file: string;
  /** 0-based line and column of the name. */
  line: number;
  column: number;
}

const PATTERNS = [/\b(?:task|sharedTask)\s*(?:<[^>]*>)?\s*\(\s*(['"`])([^'"`\n]+)\1/g];

export function scanSource(file: string, text: string): RegisteredTask[] {
  const found: RegisteredTask[] = [];
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const position = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: offset - lineStarts[lo] };
  };
  for (const re of PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const offset = m.index + m[0].lastIndexOf(m[2]);
      found.push({ name: m[2], file, ...position(offset) });
    }
  }
  return found;
}

export function scanFiles(files: readonly string[]): RegisteredTask[] {
  const out: RegisteredTask[] = [];
  for (const file of files) {
    if (file.includes(`${'/'}node_modules/`)) continue;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    out.push(...scanSource(file, text));
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
