import { z } from 'zod';
import { type HubSchedule, hubScheduleSchema } from '../domain/calendar.ts';

/*
 * What an admin sets on a hub: its sitting schedule, validated by the planner's own schema
 * (`hubScheduleSchema`, the one `hub plan --config` uses), and the chasing and agenda settings
 * beside it. The form, the API and the planner therefore accept and refuse exactly the same hubs.
 */

/** Settings of a hub that are not part of its sitting schedule. Counts are working days. */
export const hubSettingsSchema = z.object({
  missingProformaPolicy: z
    .enum(['flag', 'defer'], { error: 'must be flag (hear it, flagged) or defer (carry it over)' })
    .default('flag'),
  proformaDeadlineWorkingDays: z
    .int('must be a whole number of working days')
    .min(0, 'must be 0 (the sitting day) or more')
    .max(20, 'must be at most 20 working days')
    .default(2),
  reminderCadence: z
    .array(
      z
        .int('must be whole numbers of working days')
        .min(1, 'counts working days before the deadline: each must be at least 1')
        .max(60, 'must each be at most 60 working days'),
    )
    .max(10, 'must have at most 10 reminders')
    .refine((days) => new Set(days).size === days.length, 'must not repeat a day')
    .transform((days) => [...days].sort((a, b) => b - a))
    .default([5, 2, 1]),
  agendaLeadWorkingDays: z
    .int('must be a whole number of working days')
    .min(1, 'must be at least 1 working day')
    .max(30, 'must be at most 30 working days')
    .default(7),
});
export type HubSettings = z.output<typeof hubSettingsSchema>;

const scheduleKeys = Object.keys(hubScheduleSchema.shape) as Array<keyof typeof hubScheduleSchema.shape>;
const settingsKeys = Object.keys(hubSettingsSchema.shape) as Array<keyof typeof hubSettingsSchema.shape>;

function pick(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => value[k] !== undefined).map((k) => [k, value[k]]));
}

/** A validated hub: the planner's schedule (closures: the hub's own) and its other settings. */
export interface HubInput {
  schedule: HubSchedule;
  settings: HubSettings;
}

/**
 * The whole hub as the API takes it (POST /hubs; PATCH merges onto the stored hub first): every
 * field of the planner's schedule and of the settings, unknown fields refused. The schedule is then
 * checked by `hubScheduleSchema` itself, refinements included (a break after the last slot, a first
 * sitting that is not a date of the rule), so no rule is written twice.
 */
export const hubInputSchema = z
  .strictObject({ ...hubScheduleSchema.shape, ...hubSettingsSchema.shape })
  .transform((value, ctx): HubInput => {
    const schedule = hubScheduleSchema.safeParse(pick(value, scheduleKeys));
    if (!schedule.success) {
      for (const issue of schedule.error.issues)
        ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
      return z.NEVER;
    }
    return { schedule: schedule.data, settings: hubSettingsSchema.parse(pick(value, settingsKeys)) };
  });

/** Input of PATCH /hubs/{id}: any of the fields, no defaults (an absent field keeps its value). */
export const hubPatchSchema = z.strictObject(
  Object.fromEntries(
    Object.entries({ ...hubScheduleSchema.shape, ...hubSettingsSchema.shape })
      .filter(([key]) => key !== 'closures')
      .map(([key, schema]) => [
        key,
        (schema instanceof z.ZodDefault ? (schema.unwrap() as z.ZodType) : (schema as z.ZodType)).optional(),
      ]),
  ),
);

/** The API's and pages' view of a hub's editable fields (the inverse of hubInputSchema). */
export function hubInputValues(hub: HubInput): z.input<typeof hubInputSchema> {
  const { closures: _closures, ...schedule } = hub.schedule;
  return { ...schedule, ...hub.settings };
}
