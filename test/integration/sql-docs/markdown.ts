/**
 * Pulls the analysis queries out of docs/sql.md. Each ```sql block must sit under a
 * `### N. Title` heading with one line of prose between them, so a query added to the page
 * without a heading (and therefore without a check in the test) is an error, not a silent skip.
 */

export interface DocQuery {
  number: number;
  title: string;
  description: string;
  sql: string;
}

const HEADING = /^###\s+(\d+)\.\s+(.+?)\s*$/;

export function extractSqlQueries(markdown: string): DocQuery[] {
  const lines = markdown.split(/\r?\n/);
  const queries: DocQuery[] = [];
  let heading: { number: number; title: string; line: number } | null = null;
  let prose: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const h = HEADING.exec(line);
    if (h) {
      heading = { number: Number(h[1]), title: h[2], line: i + 1 };
      prose = [];
      continue;
    }
    if (/^```sql\s*$/.test(line)) {
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
      if (i >= lines.length) throw new Error(`docs/sql.md: unterminated sql block opened at line ${i + 1}`);
      if (!heading) throw new Error(`docs/sql.md: sql block before line ${i + 1} has no '### N. Title' heading`);
      if (prose.length !== 1) {
        throw new Error(`docs/sql.md: query '${heading.title}' needs exactly one line saying what it answers (found ${prose.length})`);
      }
      queries.push({ number: heading.number, title: heading.title, description: prose[0], sql: body.join('\n').trim() });
      heading = null;
      continue;
    }
    if (heading && line.trim() !== '') prose.push(line.trim());
  }
  return queries;
}

/** Points the documented `vigil.` database at the test database (only qualified names). */
export function retargetDatabase(sql: string, database: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) throw new Error(`not a plain database name: ${database}`);
  return sql.replace(/\bvigil\.(?=[A-Za-z_])/g, `${database}.`);
}
