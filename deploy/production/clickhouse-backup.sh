#!/usr/bin/env bash
# Backup and restore of Vigil's ClickHouse tables on ClickHouse 18.16 (no BACKUP statement):
# ALTER TABLE ... FREEZE makes hard links of every part under <data path>/shadow/<n>/, which are
# copied out; a restore copies the parts into the table's detached/ folder and ATTACHes them.
# Runs on the ClickHouse host (it needs the server's data folder), as a user that may read and
# write it. docs/operations.md "Backup and restore"; tested by
# test/integration/clickhouse-backup.test.ts against the local stack.
#
#   clickhouse-backup.sh backup  <database> <folder>   # folder must not exist yet
#   clickhouse-backup.sh restore <database> <folder>   # tables must exist (migrations) and be empty
#
# Connection, with the names Vigil's config uses: VIGIL_CLICKHOUSE_URL (default
# http://127.0.0.1:8123), VIGIL_CLICKHOUSE_USER (default vigil_writer), and the password in
# VIGIL_CLICKHOUSE_PASSWORD_FILE (one line) or VIGIL_CLICKHOUSE_PASSWORD. The password goes in a
# request header, never on a command line.
set -euo pipefail

die() { printf 'clickhouse-backup: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '9,10p' "$0" | sed 's/^#  */usage: /' >&2; exit 2; }

[ $# -eq 3 ] || usage
mode="$1" db="$2" dir="$3"
case "$mode" in backup | restore) ;; *) usage ;; esac
[[ "$db" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "database must be a plain identifier, got '$db'"

url="${VIGIL_CLICKHOUSE_URL:-http://127.0.0.1:8123}"
user="${VIGIL_CLICKHOUSE_USER:-vigil_writer}"
if [ -n "${VIGIL_CLICKHOUSE_PASSWORD_FILE:-}" ]; then
  [ -r "$VIGIL_CLICKHOUSE_PASSWORD_FILE" ] || die "cannot read VIGIL_CLICKHOUSE_PASSWORD_FILE=$VIGIL_CLICKHOUSE_PASSWORD_FILE"
  password="$(head -n1 "$VIGIL_CLICKHOUSE_PASSWORD_FILE")"
else
  password="${VIGIL_CLICKHOUSE_PASSWORD:-}"
fi
headers="$(mktemp)"
trap 'rm -f "$headers"' EXIT
chmod 600 "$headers"
printf 'X-ClickHouse-User: %s\nX-ClickHouse-Key: %s\n' "$user" "$password" >"$headers"

# One statement; its TSV answer on stdout, the server's error message on failure.
q() {
  local out
  if ! out="$(curl -sS --fail-with-body -H "@$headers" --data-binary "$1" "$url/" 2>&1)"; then
    die "ClickHouse at $url refused: ${1:0:120}: $out"
  fi
  printf '%s' "$out"
}

# Every answer is assigned before it is used: a failed query inside $(...) must stop the run.
found="$(q "SELECT count() FROM system.databases WHERE name = '$db'")"
[ "$found" = 1 ] || die "ClickHouse at $url has no database $db"

# Every MergeTree-family table but the migrations' own bookkeeping (restored databases are
# migrated first). Materialized views hold no data: their target tables are listed here.
tables() {
  q "SELECT name FROM system.tables WHERE database = '$db' AND engine LIKE '%MergeTree' AND name != 'schema_migrations' ORDER BY name"
}
data_path() { q "SELECT data_path FROM system.tables WHERE database = '$db' AND name = '$1'"; }

backup() {
  [ ! -e "$dir" ] || die "$dir exists: name a new folder for each backup"
  mkdir -p "$dir"
  local t list path shadow n rows
  list="$(tables)"
  for t in $list; do
    path="$(data_path "$t")"
    # <data>/data/<db>/<table>/ -> <data>/shadow/
    shadow="$(dirname "$(dirname "$(dirname "${path%/}")")")/shadow"
    mkdir -p "$dir/$t"
    q "SHOW CREATE TABLE $db.$t" >"$dir/$t.sql" || exit 1
    # The row count and the freeze come from one moment only if nothing writes: stop the
    # pipeline and on-call process for a consistent backup, or accept a few seconds' skew.
    rows="$(q "SELECT count() FROM $db.$t")"
    printf '%s\t%s\n' "$t" "$rows" >>"$dir/tables.tsv"
    q "ALTER TABLE $db.$t FREEZE" >/dev/null || exit 1
    n="$(cat "$shadow/increment.txt")"
    if [ -d "$shadow/$n/data/$db/$t" ]; then
      cp -a "$shadow/$n/data/$db/$t/." "$dir/$t/"
    fi
    rm -rf "${shadow:?}/$n"
  done
  printf 'backed up %s tables of %s to %s\n' "$(wc -l <"$dir/tables.tsv")" "$db" "$dir"
}

restore() {
  [ -f "$dir/tables.tsv" ] || die "$dir holds no backup (no tables.tsv)"
  local t rows path part have got exists
  while IFS=$'\t' read -r t rows; do
    [[ "$t" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "bad table name '$t' in $dir/tables.tsv"
    exists="$(q "SELECT count() FROM system.tables WHERE database = '$db' AND name = '$t'")"
    [ "$exists" = 1 ] ||
      die "$db.$t does not exist: create the schema first (the migrations run when 'vigil api' starts)"
    have="$(q "SELECT count() FROM $db.$t")"
    # Attaching onto rows already there would count them twice in the rollups.
    [ "$have" = 0 ] || die "$db.$t already holds $have rows: restore into empty tables (TRUNCATE TABLE $db.$t, or a fresh database)"
    path="$(data_path "$t")"
    for part in "$dir/$t"/*/; do
      [ -d "$part" ] || continue
      part="$(basename "$part")"
      [[ "$part" =~ ^[A-Za-z0-9_]+$ ]] || die "bad part name '$part' in $dir/$t"
      cp -a "$dir/$t/$part" "$path/detached/"
      chown -R --reference="$path" "$path/detached/$part"
      q "ALTER TABLE $db.$t ATTACH PART '$part'" >/dev/null || exit 1
    done
    got="$(q "SELECT count() FROM $db.$t")"
    [ "$got" = "$rows" ] || die "$db.$t holds $got rows after the restore, the backup recorded $rows"
    printf 'restored %s.%s: %s rows\n' "$db" "$t" "$got"
  done <"$dir/tables.tsv"
}

"$mode"
