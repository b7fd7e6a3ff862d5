import * as fs from 'node:fs';
import * as path from 'node:path';

/** Real Celery 5.2 captures (copied from shared/fixtures/celery; see its README). */
export const FIXTURE_DIR = path.join(__dirname, '..', 'fixtures', 'celery');

export function fixtureNames(): string[] {
  return fs
    .readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json') && f !== 'INDEX.json')
    .sort();
}

export function loadFixture<T = any>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, name.endsWith('.json') ? name : name + '.json'), 'utf8'));
}
