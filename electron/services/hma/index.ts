// HMA 2.0 (Open Media Match 1.1.7) client: see client.ts. Main-process only; never imports electron.
export * from './client';
export * from './errors';
export { systemClock, CircuitBreaker, RateLimiter, Semaphore, backoffDelay, parseRetryAfter, type HmaClock, type BreakerState } from './resilience';
export { classifyHttpError, type HmaLogger, type RetryPolicy } from './transport';
