import { ZodError } from 'zod';
import { contract, isCallName, type CallName, type ContractHandlers } from '../../../shared/contract';
import type { CallContext } from '../../../shared/call-context';
import { ContractError, type ApiError, type Envelope } from '../../../shared/result';
import { authorise } from './authorisation';

/** What a host calls for each request, with the caller it authenticated. */
export type ContextDispatch = (name: string, rawInput: unknown, ctx: CallContext) => Promise<Envelope<unknown>>;
/** A dispatch already bound to its caller: what a transport (IPC, loopback HTTP) hands each call to. */
export type Dispatch = (name: string, rawInput: unknown) => Promise<Envelope<unknown>>;

export interface DispatcherOptions {
  /** Validate handler outputs too (on in tests and development: a wrong shape is our bug, caught early). */
  checkOutputs?: boolean;
  onInternalError?: (name: string, error: unknown) => void;
  /** Observer of every answered call (the team server's metrics). */
  onCall?: (name: string, ms: number, outcome: 'ok' | ApiError['code']) => void;
}

function zodIssues(error: ZodError): NonNullable<ApiError['issues']> {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/**
 * One entry point for every host: unknown names, calls the caller's role does not allow, and invalid input become
 * typed errors, never exceptions. The role is checked before the input is looked at.
 */
export function createDispatcher(handlers: ContractHandlers, options: DispatcherOptions = {}): ContextDispatch {
  const run = async (name: string, rawInput: unknown, ctx: CallContext): Promise<Envelope<unknown>> => {
    if (typeof name !== 'string' || !isCallName(name)) {
      return { ok: false, error: { code: 'unknown_call', message: `Unknown call: ${String(name).slice(0, 100)}` } };
    }
    const refused = authorise(name, ctx);
    if (refused) return { ok: false, error: refused };
    const spec = contract[name];
    const parsed = spec.input.safeParse(rawInput === undefined ? {} : rawInput);
    if (!parsed.success) {
      return { ok: false, error: { code: 'invalid_input', message: `Invalid input for ${name}`, issues: zodIssues(parsed.error) } };
    }
    try {
      const handler = handlers[name] as (input: unknown, ctx: CallContext) => unknown;
      const value = await handler(parsed.data, ctx);
      if (options.checkOutputs) {
        const checked = (spec.output as { safeParse(v: unknown): { success: boolean; error?: ZodError } }).safeParse(value);
        if (!checked.success) {
          options.onInternalError?.(name, checked.error);
          return { ok: false, error: { code: 'internal', message: `Output of ${name} broke the contract` } };
        }
      }
      return { ok: true, value };
    } catch (error) {
      if (error instanceof ContractError) {
        return { ok: false, error: { code: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}) } };
      }
      options.onInternalError?.(name, error);
      return { ok: false, error: { code: 'internal', message: `${name} failed: ${error instanceof Error ? error.message : String(error)}` } };
    }
  };
  if (!options.onCall) return run;
  const onCall = options.onCall;
  return async (name, rawInput, ctx) => {
    const started = performance.now();
    const envelope = await run(name, rawInput, ctx);
    onCall(typeof name === 'string' && isCallName(name) ? name : 'unknown', performance.now() - started, envelope.ok ? 'ok' : envelope.error.code);
    return envelope;
  };
}

export type { CallName };
