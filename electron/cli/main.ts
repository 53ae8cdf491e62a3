/**
 * matchdesk CLI: `matchdesk <command> [args]`. Each command is its own module under ./commands, loaded only when
 * used; to add one (e.g. `audit`, whose module handles `audit verify`), add an entry to COMMANDS.
 * Exit codes: 0 success, 1 the command ran but something failed, 2 usage error.
 */
import { EXIT_OK, EXIT_USAGE, type CliCommand, type CliIo } from './io';

export { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliCommand, type CliIo } from './io';

interface CommandEntry {
  usage: string;
  summary: string;
  load: () => Promise<CliCommand>;
}

export const COMMANDS: Record<string, CommandEntry> = {
  hash: {
    usage: 'hash FILE... [--json] [--dihedral] [--workers N]',
    summary: 'MD5, SHA-1, SHA-256 and PDQ (as HMA computes them) of media files',
    load: () => import('./commands/hash'),
  },
  serve: {
    usage: 'serve [--config FILE] [--data-dir DIR] [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE]',
    summary: 'run the team server: one shared queue and outbox for every moderator console (Matrix OpenID sign-in)',
    load: () => import('./commands/serve'),
  },
  'bot-keys': {
    usage: 'bot-keys list|create|revoke --data-dir DIR [--name NAME] [--rate PER_MINUTE] [--id ID]',
    summary: "keys for bots and the Synapse module to ask the team server's check API",
    load: () => import('./commands/bot-keys'),
  },
  audit: {
    usage: 'audit verify|export [--desktop | --web | --all | --data-dir DIR] [--format jsonl|csv] [--out FILE]',
    summary: "check the audit log for tampering (every store found: the desktop app's, the browser shell's), or export it with its hash chain",
    load: () => import('./commands/audit'),
  },
};

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export function usage(): string {
  const lines = ['usage: matchdesk <command> [args]', '', 'commands:'];
  for (const c of Object.values(COMMANDS)) lines.push(`  ${c.usage}`, `      ${c.summary}`);
  return lines.join('\n');
}

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? io.out : io.err)(usage());
    return name ? EXIT_OK : EXIT_USAGE;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    io.err(`matchdesk: unknown command '${name}'\n\n${usage()}`);
    return EXIT_USAGE;
  }
  const command = await entry.load();
  return command.run(rest, io);
}
