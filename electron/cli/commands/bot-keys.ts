import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { AuditLog } from '../../services/audit/audit-log';
import { BotKeyStore, DEFAULT_BOT_RATE_PER_MINUTE } from '../../services/checks/bot-keys';
import { openDatabase } from '../../services/store/database';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIo } from '../io';

const USAGE = [
  'usage: matchdesk bot-keys list --data-dir DIR',
  '       matchdesk bot-keys create --data-dir DIR --name NAME [--rate PER_MINUTE]',
  '       matchdesk bot-keys revoke --data-dir DIR --id ID',
  '',
  "Keys for bots and the Synapse module to ask the team server's check API (/api/v1/check). DIR is the team server's",
  `data folder. A new key is printed once; only its hash is kept. Default rate: ${DEFAULT_BOT_RATE_PER_MINUTE} checks per minute.`,
  'Leads can do the same from a console (Settings → Bot keys).',
].join('\n');

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const [sub] = args;
  const dir = option(args, '--data-dir') ?? process.env.MATCHDESK_DATA_DIR;
  if ((sub !== 'list' && sub !== 'create' && sub !== 'revoke') || !dir) {
    io.err(USAGE);
    return EXIT_USAGE;
  }
  const file = join(resolve(dir), 'matchdesk.sqlite');
  if (!existsSync(file)) {
    io.err(`matchdesk bot-keys: no Matchdesk store at ${file}`);
    return EXIT_FAILED;
  }
  const db = openDatabase(file);
  try {
    const keys = new BotKeyStore(db);
    const audit = new AuditLog(db);
    if (sub === 'list') {
      for (const k of keys.list()) {
        const state = k.revokedAt ? `revoked ${new Date(k.revokedAt).toISOString()} by ${k.revokedBy}` : k.lastUsedAt ? `last used ${new Date(k.lastUsedAt).toISOString()}` : 'never used';
        io.out(`${k.id}  ${k.prefix}_…  ${k.name}  ${k.ratePerMinute}/min  created by ${k.createdBy}  ${state}`);
      }
      return EXIT_OK;
    }
    if (sub === 'create') {
      const name = option(args, '--name')?.trim();
      const rate = option(args, '--rate');
      if (!name || name.length > 100 || (rate !== undefined && !/^\d{1,6}$/.test(rate)) || rate === '0') {
        io.err(USAGE);
        return EXIT_USAGE;
      }
      const { key, botKey } = keys.create({ name, createdBy: actor(), ...(rate ? { ratePerMinute: Number(rate) } : {}) });
      audit.append({ actor: actor(), action: 'botKey.create', subject: `botKey:${botKey.id}`, details: { name, ratePerMinute: botKey.ratePerMinute } });
      io.err(`created bot key ${botKey.id} (${name}, ${botKey.ratePerMinute} checks/min); it is shown once, keep it in the bot's secret store:`);
      io.out(key);
      return EXIT_OK;
    }
    const id = option(args, '--id') ?? '';
    const before = /^[0-9a-f]{12}$/.test(id) ? keys.get(id) : null;
    if (!before) {
      io.err(`matchdesk bot-keys: no bot key ${JSON.stringify(id)}`);
      return EXIT_FAILED;
    }
    keys.revoke(id, actor());
    if (!before.revokedAt) audit.append({ actor: actor(), action: 'botKey.revoke', subject: `botKey:${id}`, details: { name: before.name } });
    io.out(`revoked bot key ${id} (${before.name})`);
    return EXIT_OK;
  } finally {
    db.close();
  }
}
