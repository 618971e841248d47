import test from 'ava';
import type { MapperColumn } from '../../domain/mapper/mapperSpec';
import {
  incompatibilityMessage,
  incompatibleColumns,
  missingColumns,
  oracleLiveColumn,
  postgresLiveColumn,
  takes,
} from '../../runtime/sql/columnCompatibility';

const column = (name: string, type: MapperColumn['type']): MapperColumn => ({ name, type, nullable: true, primary_key: false });

test('PostgreSQL types fall in their family; user-defined and array types are named by udt_name', (t) => {
  t.deepEqual(postgresLiveColumn('a', 'character varying', 'varchar'), { name: 'a', type: 'character varying', family: 'text' });
  t.deepEqual(postgresLiveColumn('b', 'USER-DEFINED', 'citext'), { name: 'b', type: 'citext', family: 'text' });
  t.deepEqual(postgresLiveColumn('c', 'USER-DEFINED', 'mood'), { name: 'c', type: 'mood', family: 'other' });
  t.deepEqual(postgresLiveColumn('d', 'ARRAY', '_int4'), { name: 'd', type: '_int4', family: 'other' });
  t.is(postgresLiveColumn('e', 'timestamp with time zone', 'timestamptz').family, 'timestamp');
  t.is(postgresLiveColumn('f', 'smallint', 'int2').family, 'integer');
  t.is(postgresLiveColumn('g', 'jsonb', 'jsonb').family, 'json');
});

test('Oracle types fall in their family; a NUMBER of scale 0 is whole, one without scale is any number', (t) => {
  t.deepEqual(oracleLiveColumn('A', 'NUMBER', 0), { name: 'A', type: 'NUMBER (whole)', family: 'integer' });
  t.deepEqual(oracleLiveColumn('B', 'NUMBER', null), { name: 'B', type: 'NUMBER', family: 'decimal' });
  t.is(oracleLiveColumn('C', 'NCLOB', null).family, 'text');
  t.is(oracleLiveColumn('D', 'TIMESTAMP(6) WITH TIME ZONE', 6).family, 'timestamp');
  t.is(oracleLiveColumn('E', 'DATE', null).family, 'date');
  t.is(oracleLiveColumn('F', 'BINARY_DOUBLE', null).family, 'decimal');
  t.is(oracleLiveColumn('G', 'RAW', null).family, 'other');
});

test('the table: text takes all; a string goes anywhere; the examples of the issue are refused', (t) => {
  for (const type of ['string', 'int', 'float', 'bool', 'date', 'datetime', 'time', 'json'] as const) {
    t.true(takes('postgres', 'text', type));
    t.true(takes('oracle', 'text', type));
  }
  for (const family of ['integer', 'decimal', 'boolean', 'date', 'timestamp', 'time', 'json', 'other'] as const)
    t.true(takes('postgres', family, 'string'));
  t.false(takes('postgres', 'boolean', 'int'));
  t.false(takes('postgres', 'integer', 'json'));
  t.false(takes('postgres', 'integer', 'datetime'));
  t.false(takes('postgres', 'integer', 'float'));
  t.false(takes('postgres', 'date', 'datetime')); // the time of day would be lost
  t.true(takes('oracle', 'date', 'datetime')); // an Oracle DATE holds it
  t.true(takes('postgres', 'decimal', 'int'));
  t.true(takes('oracle', 'integer', 'bool')); // NUMBER(1), this platform's Oracle boolean
  t.false(takes('postgres', 'integer', 'bool'));
});

test('incompatibilities name the mapper index, column, live type and wanted type; missing columns are listed apart', (t) => {
  const live = [postgresLiveColumn('id', 'bigint', 'int8'), postgresLiveColumn('active', 'boolean', 'bool')];
  const wanted = [column('id', 'int'), column('active', 'int'), column('added', 'json')];
  const found = incompatibleColumns('postgres', live, wanted);
  t.deepEqual(found, [{ index: 1, column: 'active', liveType: 'boolean', wanted: 'int' }]);
  t.is(incompatibilityMessage(found[0]!), `column "active" is boolean in the existing table, which cannot take the mapper's int values`);
  t.deepEqual(
    missingColumns(live, wanted).map((c) => c.name),
    ['added'],
  );
  // Names are exact: both targets quote every name.
  t.deepEqual(
    missingColumns(live, [column('ID', 'int')]).map((c) => c.name),
    ['ID'],
  );
});
