import { ZodError } from 'zod';
import { contract, isCallName, type CallName, type ContractHandlers } from '../../../shared/contract';
import { ContractError, type ApiError, type Envelope } from '../../../shared/result';

export type Dispatch = (name: string, rawInput: unknown) => Promise<Envelope<unknown>>;

export interface DispatcherOptions {
  /** Validate handler outputs too (on in tests and development: a wrong shape is our bug, caught early). */
  checkOutputs?: boolean;
  onInternalError?: (name: string, error: unknown) => void;
}

function zodIssues(error: ZodError): NonNullable<ApiError['issues']> {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** One entry point for both transports: unknown names and invalid input become typed errors, never exceptions. */
export function createDispatcher(handlers: ContractHandlers, options: DispatcherOptions = {}): Dispatch {
  return async (name, rawInput) => {
    if (typeof name !== 'string' || !isCallName(name)) {
      return { ok: false, error: { code: 'unknown_call', message: `Unknown call: ${String(name).slice(0, 100)}` } };
    }
    const spec = contract[name];
    const parsed = spec.input.safeParse(rawInput === undefined ? {} : rawInput);
    if (!parsed.success) {
      return { ok: false, error: { code: 'invalid_input', message: `Invalid input for ${name}`, issues: zodIssues(parsed.error) } };
    }
    try {
      const handler = handlers[name] as (input: unknown) => unknown;
      const value = await handler(parsed.data);
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
}

export type { CallName };
