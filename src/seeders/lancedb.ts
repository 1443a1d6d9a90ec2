import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Schema, Struct, TimeUnit, Timestamp, Utf8, type DataType } from 'apache-arrow';
import type { Environment } from '../api/v1alpha1/gaim.js';
import { EMBEDDING_DIMENSIONS, lancePaths } from '../datamodel.js';
import { OperatorError } from '../errors.js';
import { Message } from '../messages.js';

const text = () => new Utf8();
const vector = (dimensions: number) => new FixedSizeList(dimensions, new Field('item', new Float32(), true));
const field = (name: string, type: DataType, nullable = true) => new Field(name, type, nullable);

/** Tool selector rows: which tool a query routes to. */
export function toolSelectorSchema(): Schema {
  return new Schema([
    field('tool_id', text(), false),
    field('function_name', text()),
    field('description', text()),
    field('embedding', vector(EMBEDDING_DIMENSIONS.toolSelector), false),
    field('created_at', new Timestamp(TimeUnit.MICROSECOND, 'UTC')),
  ]);
}

/** Knowledge rows (text, image, video, audio differ only in the vector size). */
export function knowledgeSchema(dimensions: number): Schema {
  return new Schema([
    field('chunk_id', text(), false),
    field('source', text()),
    field('content', text()),
    field('embedding', vector(dimensions), false),
    field('metadata', new Struct([field('subject', text()), field('type', text()), field('content_date', text())])),
  ]);
}

export interface TableSpec {
  /** Absolute path of the table directory: …/{name}.lance */
  readonly path: string;
  readonly schema: Schema;
}

export function tablesFor(root: string, env: Environment, dimensions: { video: number; audio: number }): TableSpec[] {
  const paths = lancePaths(env, root);
  return [
    { path: paths.toolSelector, schema: toolSelectorSchema() },
    { path: paths.knowledgeText, schema: knowledgeSchema(EMBEDDING_DIMENSIONS.text) },
    { path: paths.knowledgeImage, schema: knowledgeSchema(EMBEDDING_DIMENSIONS.image) },
    { path: paths.knowledgeVideo, schema: knowledgeSchema(dimensions.video) },
    { path: paths.knowledgeAudio, schema: knowledgeSchema(dimensions.audio) },
  ];
}

export interface LanceSeedReport {
  readonly created: string[];
  readonly existing: string[];
}

/** How a table's schema disagrees with the data model: missing fields or fields of another type. */
export function schemaMismatches(expected: Schema, actual: Schema): string[] {
  const problems: string[] = [];
  for (const want of expected.fields) {
    const have = actual.fields.find((f) => f.name === want.name);
    if (have === undefined) problems.push(`field ${want.name} is missing`);
    else if (String(have.type) !== String(want.type)) problems.push(`field ${want.name} is ${String(have.type)}, expected ${String(want.type)}`);
  }
  return problems;
}

/**
 * Creates, under `root`, each environment's LanceDB layout: the tool selector and knowledge tables
 * (empty, with the data model's schemas) and the metadata folder. An existing table is never
 * dropped or altered; one whose schema disagrees fails the seed (errorType storage) with a message
 * naming the table and field, after every other table has been seeded.
 */
export async function seedLanceDB(root: string, environments: readonly Environment[], dimensions: { video: number; audio: number }): Promise<LanceSeedReport> {
  const created: string[] = [];
  const existing: string[] = [];
  const mismatches: string[] = [];
  for (const env of environments) {
    await mkdir(lancePaths(env, root).metadata, { recursive: true });
    for (const table of tablesFor(root, env, dimensions)) {
      const dir = dirname(table.path);
      const name = table.path.slice(dir.length + 1).replace(/\.lance$/, '');
      await mkdir(dir, { recursive: true });
      const db = await lancedb.connect(dir);
      try {
        if ((await db.tableNames()).includes(name)) {
          const opened = await db.openTable(name);
          const problems = schemaMismatches(table.schema, await opened.schema());
          opened.close();
          if (problems.length > 0) mismatches.push(`table ${table.path}: ${problems.join('; ')}`);
          existing.push(table.path);
          continue;
        }
        const made = await db.createEmptyTable(name, table.schema, { mode: 'create' });
        made.close();
        created.push(table.path);
      } finally {
        db.close();
      }
    }
  }
  if (mismatches.length > 0) throw new OperatorError('storage', `${Message.lancedbSchema}: ${mismatches.join(' | ')}`, { reason: 'TableSchemaMismatch' });
  return { created, existing };
}
