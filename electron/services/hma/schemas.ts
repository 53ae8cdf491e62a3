// zod schemas for HMA 1.1.7 response bodies (../shared/docs/hma-api.md §2). Objects are non-strict (extra keys are
// tolerated, a newer HMA may add fields) but every field the client reads is checked.

import { z } from 'zod';

export const signalMapSchema = z.record(z.string(), z.string());

export const lookupHitSchema = z.object({ bank_content_id: z.number().int(), distance: z.string() });
/** GET /m/lookup by signal: bank name → hits. */
export const bankMatchMapSchema = z.record(z.string(), z.array(lookupHitSchema));
/** POST /m/lookup (and GET by url without signal_type): signal type → bank map. */
export const typedBankMatchMapSchema = z.record(z.string(), bankMatchMapSchema);

export const rawLookupSchema = z.object({ matches: z.array(z.number().int()) });
export const rawLookupWithDistanceSchema = z.object({ matches: z.array(lookupHitSchema) });

export const indexStatusSchema = z.record(z.string(), z.object({ present: z.boolean(), built_to: z.number(), size: z.number().int() }));

export const compareSchema = z.record(z.string(), z.tuple([z.boolean(), z.record(z.string(), z.unknown())]));

export const bankSchema = z.object({ name: z.string(), matching_enabled_ratio: z.number() });
export const bankListSchema = z.array(bankSchema);

export const messageSchema = z.object({ message: z.string() });

export const addContentSchema = z.object({ id: z.number().int(), signals: signalMapSchema });

const nullableString = z.string().nullable().optional();
export const contentMetadataSchema = z.object({
  collab: z.record(z.string(), z.array(z.string())).nullable().optional(),
  content_id: nullableString,
  content_uri: nullableString,
  json: z.unknown().optional(),
});

export const contentGetSchema = z.object({
  id: z.number().int(),
  bank: bankSchema,
  disable_until_ts: z.number().int(),
  original_media_uri: z.string().nullable().optional(),
  signals: signalMapSchema.optional(),
  metadata: contentMetadataSchema.optional(),
  note: z.string().nullable().optional(),
});

export const contentPutSchema = z.object({
  id: z.number().int(),
  bank: bankSchema,
  disable_until_ts: z.number().int(),
  note: z.string().nullable().optional(),
  original_media_uri: z.string().nullable().optional(),
  collab_metadata: z.record(z.string(), z.array(z.string())).nullable().optional(),
  user_metadata: z.record(z.string(), z.unknown()).nullable().optional(),
});

export const deletedSchema = z.object({ deleted: z.number().int() });

export const signalTypeListSchema = z.array(z.object({ name: z.string(), enabled_ratio: z.number() }));
export const contentTypeListSchema = z.array(z.object({ name: z.string(), enabled: z.boolean() }));
export const signalTypeIndexSchema = z.record(
  z.string(),
  z.object({ db_size: z.number(), index_size: z.number(), index_out_of_date: z.boolean(), newest_db_item: z.number(), index_built_to: z.number() }),
);

export const stringListSchema = z.array(z.string());
export const exchangeConfigSchema = z.object({ name: z.string(), api: z.string(), enabled: z.boolean() }).catchall(z.unknown());
export const exchangeStatusSchema = z.object({
  checkpoint_ts: z.number().nullable(),
  fetched_items: z.number().int(),
  last_fetch_complete_ts: z.number().nullable(),
  last_fetch_succeeded: z.boolean().nullable(),
  running_fetch_start_ts: z.number().nullable(),
  up_to_date: z.boolean(),
});
export const exchangeApiAuthSchema = z.object({ supports_authentification: z.boolean(), has_set_authentification: z.boolean() });
const schemaFieldSchema = z.object({
  name: z.string(),
  type: z.string(),
  required: z.boolean(),
  default: z.unknown().optional(),
  help: z.string().nullable().optional(),
  choices: z.array(z.unknown()).nullable().optional(),
});
export const exchangeApiSchemaSchema = z.object({
  config_schema: z.object({ fields: z.array(schemaFieldSchema) }),
  credentials_schema: z.object({ fields: z.array(schemaFieldSchema) }).nullable(),
});

export const pydanticIssuesSchema = z.array(
  z.object({ type: z.string(), loc: z.array(z.union([z.string(), z.number()])), msg: z.string(), input: z.unknown().optional(), url: z.string().optional() }),
);
