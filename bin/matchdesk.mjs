#!/usr/bin/env node
// `npx matchdesk <command> ...`: runs the CLI from its TypeScript sources through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { main } = await import(new URL('../electron/cli/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
