/*
 * Rate limits of the sign-in and token endpoints, per client IP. Counted in Redis when REDIS_URL is
 * set (shared by every web process), else in this process's memory (the embedded default runs one
 * process). A sign-in link request is also limited per person in the database (5 per 15 minutes).
 */

export interface RateLimit {
  max: number;
  /** Milliseconds. */
  timeWindow: number;
}

export interface RateLimits {
  /** POST /sign-in (asking for a link). */
  signInRequest: RateLimit;
  /** GET and POST /sign-in/:token. */
  tokenLink: RateLimit;
  /** GET and POST /proforma/:token (a school may save a draft many times). */
  proformaLink: RateLimit;
}

const fifteenMinutes = 15 * 60_000;

export const defaultRateLimits: RateLimits = {
  signInRequest: { max: 10, timeWindow: fifteenMinutes },
  tokenLink: { max: 30, timeWindow: fifteenMinutes },
  proformaLink: { max: 120, timeWindow: fifteenMinutes },
};
