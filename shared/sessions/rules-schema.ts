import { z } from "zod";
import { ONE_LINE } from "@/shared/text";

// Placeholder until the command-rules slice lands (replaced by its validated glob / regex patterns).
export const commandPatternSchema = z.string().trim().min(1).max(200).regex(ONE_LINE);
export const commandPatternList = z.array(commandPatternSchema).max(100).default([]);
