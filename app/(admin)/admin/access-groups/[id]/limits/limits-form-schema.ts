import { z } from "zod";
import { limitsSchema, type Limits } from "@/server/access-groups/policy/schemas";

/** The form's shape (empty date = none), piped into the server's schema so its messages land on the same paths. */
export const limitsFormSchema = z
  .object({
    validFrom: z.string(),
    validTo: z.string(),
    daysOfWeek: z.array(z.number()),
    windows: z.array(z.object({ start: z.string(), end: z.string() })),
  })
  .transform((v): z.input<typeof limitsSchema> => ({ ...v, validFrom: v.validFrom || null, validTo: v.validTo || null }))
  .pipe(limitsSchema);

export type LimitsFormValues = z.input<typeof limitsFormSchema>;

export function limitsToForm(limits: Limits): LimitsFormValues {
  return { validFrom: limits.validFrom ?? "", validTo: limits.validTo ?? "", daysOfWeek: limits.daysOfWeek, windows: limits.windows };
}

export const MAX_WINDOWS = 12;
