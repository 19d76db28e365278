/** The migration runner's pure parts: statement splitting and file ordering/validation. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../core/errors.ts';
import { defaultMigrationsDir, isAddColumnRerun, loadMigrations, splitStatements } from '../../pipeline/storage/migrate.ts';

describe('splitStatements', () => {
  it('splits on lines ending with ;, drops comment lines and replaces {db}', () => {
    const sql = [
      '-- header comment;',
      'CREATE TABLE IF NOT EXISTS {db}.a (',
      "  s String DEFAULT 'x;y' -- inline; not a split",
      ') ENGINE = Memory;',
      '',
      '   -- indented comment',
      'CREATE VIEW {db}.v AS SELECT * FROM {db}.a ;  ',
      'SELECT 1',
    ].join('\n');
    expect(splitStatements(sql, 'mydb')).toEqual([
      "CREATE TABLE IF NOT EXISTS mydb.a (\n  s String DEFAULT 'x;y' -- inline; not a split\n) ENGINE = Memory",
      'CREATE VIEW mydb.v AS SELECT * FROM mydb.a',
      'SELECT 1',
    ]);
  });

  it('returns nothing for a file of comments and blank lines', () => {
    expect(splitStatements('-- only\n\n  \n-- comments;\n', 'db')).toEqual([]);
  });

  it.each(['bad-db', 'x; DROP DATABASE system', '1abc', '', 'a.b'])('refuses the database name %j', (db) => {
    expect(() => splitStatements('SELECT 1;', db)).toThrow(VigilError);
  });
});

describe('loadMigrations', () => {
  const dir = () => mkdtempSync(path.join(os.tmpdir(), 'vigil-mig-unit-'));

  it('orders by numeric version, not by name', () => {
    const d = dir();
    writeFileSync(path.join(d, '10_ten.sql'), 'SELECT 10;');
    writeFileSync(path.join(d, '002_two.sql'), 'SELECT 2;');
    writeFileSync(path.join(d, 'notes.md'), 'ignored');
    expect(loadMigrations(d, 'db').map((m) => [m.version, m.name])).toEqual([
      [2, 'two'],
      [10, 'ten'],
    ]);
  });

  it('refuses two files with the same version', () => {
    const d = dir();
    writeFileSync(path.join(d, '001_a.sql'), 'SELECT 1;');
    writeFileSync(path.join(d, '1_b.sql'), 'SELECT 1;');
    expect(() => loadMigrations(d, 'db')).toThrow(/same version 1/);
  });

  it('refuses a .sql file not named NNN_name.sql and a missing folder', () => {
    const d = dir();
    writeFileSync(path.join(d, 'schema.sql'), 'SELECT 1;');
    expect(() => loadMigrations(d, 'db')).toThrow(/schema\.sql is not named NNN_name\.sql/);
    expect(() => loadMigrations(path.join(d, 'missing'), 'db')).toThrow(/cannot read migrations folder/);
  });

  it('the project DDL parses into statements that all use the database placeholder', () => {
    for (const m of loadMigrations(defaultMigrationsDir, 'vigil_check')) {
      expect(m.statements.length, m.file).toBeGreaterThan(0);
      for (const s of m.statements) {
        expect(s, m.file).not.toContain('{db}');
        expect(s, m.file).not.toMatch(/;\s*$/);
      }
    }
  });
});

describe('isAddColumnRerun (18.16 has no ADD COLUMN IF NOT EXISTS)', () => {
  const exists = new Error('Code: 44, e.displayText() = DB::Exception: Cannot add column tag_keys: column with this name already exists');
  it('counts an ADD COLUMN statement that already ran as applied', () => {
    expect(isAddColumnRerun('ALTER TABLE db.alert_events\n    ADD COLUMN tag_keys Array(String),\n    ADD COLUMN tag_values Array(String)', exists)).toBe(true);
  });
  it('does not hide other failures or other statements', () => {
    expect(isAddColumnRerun('ALTER TABLE db.t ADD COLUMN x String', new Error('Code: 60, Table db.t does not exist'))).toBe(false);
    expect(isAddColumnRerun('CREATE TABLE db.t (x String) ENGINE = Memory', exists)).toBe(false);
    expect(isAddColumnRerun('ALTER TABLE db.t ADD COLUMN x String, DROP COLUMN y', exists)).toBe(false);
  });
  it('the committed 008 migration is one ADD COLUMN statement for both tag columns', () => {
    const m = loadMigrations(defaultMigrationsDir, 'db').find((x) => x.version === 8)!;
    expect(m.statements).toHaveLength(1);
    expect(m.statements[0]).toMatch(/^ALTER TABLE db\.alert_events\s+ADD COLUMN tag_keys Array\(String\),\s+ADD COLUMN tag_values Array\(String\)$/);
    expect(isAddColumnRerun(m.statements[0], exists)).toBe(true);
  });
});
