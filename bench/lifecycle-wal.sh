#!/bin/bash
# WAL an event costs in the lifecycle event log (docs/BENCHMARKS.md, 2026-11-28): applies the migrations of a
# directory to a scratch database <dbname> on PGHOST (default 127.0.0.1), writes 2,000 events (one transaction
# each, as transitions do) and positions them (passes of 50), and attributes the WAL of each phase with pg_walinspect
# to the relations it touched. Records of other databases are left out; commits are not counted (every transition
# commits anyway).
# usage: bench/lifecycle-wal.sh <dbname> <migration dir>   e.g. bench/lifecycle-wal.sh evwal common/src/main/resources/db/migration
set -e
DB=$1; MIG=$2
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres} PGOPTIONS='-c client_min_messages=warning'
psql -q -c "DROP DATABASE IF EXISTS $DB" ; psql -q -c "CREATE DATABASE $DB"
for f in $(ls $MIG/V*.sql | sort -t V -k2 -n); do psql -q -v ON_ERROR_STOP=1 -d $DB -f $f >/dev/null; done
psql -q -d $DB -c "CREATE EXTENSION IF NOT EXISTS pg_walinspect" 
psql -q -d $DB <<'SQL'
INSERT INTO generations (id, provider, model, status, prompt, aspect_ratio, created_at, updated_at)
  VALUES ('gen_x', 'runblob', 'sora-2', 'queued', 'a red fox', '9:16', now(), now());
CREATE TABLE payload_t AS SELECT json_build_object('type','generation.succeeded','id','evt_x','occurredAt',now()::text,
  'generation', json_build_object('id','gen_01JDXYZABCDEFGHJKMNPQRSTVW','provider','runblob-sora','model','sora-2','status','succeeded',
  'prompt','a red fox running through a snowy forest at dawn, cinematic','aspectRatio','9:16','durationSeconds',10,
  'providerTaskId','task_0123456789abcdef','progress',100,'outputs',json_build_array(json_build_object('url','https://cdn.example.com/out/0123456789abcdef.mp4','sourceUrl','https://provider.example.com/v/0123456789abcdef.mp4','expiresAt',now()::text)),
  'error',null,'createdAt',now()::text,'submittedAt',now()::text,'completedAt',now()::text,'updatedAt',now()::text,'metadata','{}'::json,'resolvedBy','webhook')) AS p;
CREATE PROCEDURE ev_insert(n int) LANGUAGE plpgsql AS $$
DECLARE i int; pl json; BEGIN SELECT p INTO pl FROM payload_t;
 FOR i IN 1..n LOOP
  INSERT INTO lifecycle_events (id, type, generation_id, occurred_at, payload)
   VALUES ('evt_' || to_char(clock_timestamp(), 'YYYYMMDDHH24MISSUS') || substr(md5(random()::text), 1, 10), 'generation.succeeded', 'gen_x', clock_timestamp(), pl);
  COMMIT;
 END LOOP; END $$;
CREATE PROCEDURE ev_pass(n int, batch int) LANGUAGE plpgsql AS $$
DECLARE i int; BEGIN FOR i IN 1..n LOOP PERFORM sequence_lifecycle_events(batch, true); COMMIT; END LOOP; END $$;
SQL
echo "payload bytes: $(psql -Atd $DB -c 'select length(p::text) from payload_t')"
# the generations row lock (the foreign key check of each event) is left out: a transition holds that row locked anyway
# warm up (pages exist, steady state), then checkpoint so the window starts clean, then a throwaway round
psql -q -d $DB -c "CALL ev_insert(3000)" -c "CALL ev_pass(60, 50)"
for round in 1 2; do
  psql -q -d $DB -c "CHECKPOINT"
  psql -q -d $DB -c "CALL ev_insert(200)" -c "CALL ev_pass(4, 50)"   # touch pages after the checkpoint (their FPIs)
  L0=$(psql -Atd $DB -c "select pg_current_wal_insert_lsn()")
  psql -q -d $DB -c "CALL ev_insert(2000)"
  L1=$(psql -Atd $DB -c "select pg_current_wal_insert_lsn()")
  psql -q -d $DB -c "CALL ev_pass(40, 50)"
  L2=$(psql -Atd $DB -c "select pg_current_wal_insert_lsn()")
done
DBOID=$(psql -Atd $DB -c "select oid from pg_database where datname = current_database()")
for phase in "insert $L0 $L1" "position $L1 $L2"; do set -- $phase
psql -d $DB -P pager=off <<SQL
\echo == $1 (2,000 events): WAL bytes per event by relation and record type (fpi: full-page images)
WITH r AS (SELECT * FROM pg_get_wal_records_info('$2', '$3')),
 rel AS (SELECT r.*, (regexp_match(block_ref, 'rel \d+/(\d+)/(\d+)'))[1]::oid AS db, (regexp_match(block_ref, 'rel \d+/\d+/(\d+)'))[1]::oid AS fn FROM r)
SELECT coalesce(c.relname, CASE WHEN rel.db IS NULL THEN '(no block: ' || resource_manager || ')' ELSE 'other ' || rel.fn END) AS relation,
  resource_manager || '/' || split_part(record_type, ' ', 1) AS rec, count(*) AS records,
  round(sum(record_length - fpi_length)::numeric / 2000, 1) AS bytes_per_event, round(sum(fpi_length)::numeric / 2000, 1) AS fpi_per_event
FROM rel LEFT JOIN pg_class c ON c.relfilenode = rel.fn AND rel.db = $DBOID
WHERE rel.db = $DBOID AND coalesce(c.relname, '') <> 'generations'
GROUP BY ROLLUP ((1, 2)) ORDER BY 1, 2;
SQL
done
