"""Runs every docs/sql.md query on the sql-docs fixture in a current ClickHouse (chDB, in
process) and in the local 18.16 server, and fails if an answer differs or a query fails.

Not part of `npm test` (chDB is a large PyPI wheel). Run by hand after changing docs/sql.md or
the DDL:
    python3 -m venv /tmp/chdb && /tmp/chdb/bin/pip install chdb-core==26.9.0
    /tmp/chdb/bin/python test/integration/sql-docs/current-clickhouse.py
"""
import json
import subprocess
import sys
import tempfile
import urllib.request

from chdb import session

HTTP = 'http://127.0.0.1:18123/'
TABLES = ['points', 'points_1m', 'points_1h', 'anomalies', 'alert_events', 'sla_snapshots']

fixture = json.loads(subprocess.run(
    ['npx', 'tsx', 'test/integration/sql-docs/export-fixture.ts', 'vigil_sql_docs_check'],
    check=True, capture_output=True, text=True).stdout)
db = fixture['database']


def local(sql):
    req = urllib.request.Request(HTTP, data=sql.encode())
    return urllib.request.urlopen(req).read().decode()


def load(run):
    run(f'DROP DATABASE IF EXISTS {db}')
    run(f'CREATE DATABASE {db}')
    for statement in fixture['ddl']:
        run(statement)
    for table in TABLES:  # keep duplicates and partial states visible, as the test does
        run(f'SYSTEM STOP MERGES {db}.{table}')
    for insert in fixture['inserts']:
        run(f"INSERT INTO {db}.{insert['table']} FORMAT JSONEachRow\n{insert['rows']}")


def normalise(text):
    """64-bit integers are quoted by 18.16's JSON output and not by current defaults."""
    def value(v):
        if isinstance(v, str) and v.lstrip('-').isdigit():
            return int(v)
        if isinstance(v, float):
            return round(v, 9)
        if isinstance(v, list):
            return [value(x) for x in v]
        return v
    return [{k: value(v) for k, v in json.loads(line).items()} for line in text.splitlines() if line.strip()]


with tempfile.TemporaryDirectory() as path:
    current = session.Session(path)
    run_current = lambda sql: str(current.query(sql, 'JSONEachRow'))
    versions = (str(current.query('SELECT version()', 'TabSeparated')).strip(), local('SELECT version()').strip())
    load(run_current)
    load(local)
    failures = 0
    for q in fixture['queries']:
        try:
            new = normalise(run_current(q['sql']))
            old = normalise(local(q['sql'] + '\nFORMAT JSONEachRow'))
        except Exception as err:  # a query that does not run on one of them
            failures += 1
            print(f"FAIL {q['title']}: {err}")
            continue
        same = new == old and len(new) > 0
        failures += 0 if same else 1
        print(f"{'ok  ' if same else 'FAIL'} {q['title']} ({len(new)} rows)")
        if not same:
            print(f'  ClickHouse {versions[0]}: {new}\n  ClickHouse {versions[1]}: {old}')
    local(f'DROP DATABASE IF EXISTS {db}')
    print(f'ClickHouse {versions[0]} vs {versions[1]}')
    print(f"{len(fixture['queries']) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)
