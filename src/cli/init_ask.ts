/**
 * Questions at the terminal, for `lmi init` in an interactive run: the question on stderr, one
 * line read with `deps.readLine`, asked again (with the reason) until the answer is usable. The
 * end of input (Ctrl-D) is no answer: a UsageError naming the flag that gives it instead.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { CommandContext } from "./spec.ts";

export interface Question<T> {
  /** The question, without the default or the colon. */
  text: string;
  /** The flag that answers it (named when no answer comes). */
  flag: string;
  /** Taken for an empty answer. */
  fallback?: string;
  /** The answer as a value, or `{ retry: why }` to ask again. */
  check(answer: string): T | { retry: string };
}

function isRetry(x: unknown): x is { retry: string } {
  return typeof x === "object" && x !== null && "retry" in x &&
    typeof (x as { retry: unknown }).retry === "string";
}

/** Ask `question` until `check` takes the answer. */
export async function ask<T>(
  ctx: Pick<CommandContext, "deps" | "log">,
  question: Question<T>,
): Promise<T> {
  const { text, flag, fallback } = question;
  for (;;) {
    ctx.log.raw(`? ${text}${fallback ? ` [${fallback}]` : ""}: `);
    await ctx.log.flush();
    const line = await ctx.deps.readLine();
    if (line === null) {
      ctx.log.raw("\n");
      throw new UsageError("NO_ANSWER", `no answer for ${flag}`, {
        hint: `give it as a flag: lmi init ${flag} …`,
      });
    }
    const answer = line.trim() || fallback || "";
    if (answer === "") continue;
    const value = question.check(answer);
    if (!isRetry(value)) return value;
    ctx.log.say(`  ${value.retry}`);
  }
}

/**
 * Choose one of `choices` (by number or by name); the first is the default. Each choice is shown
 * on a line of its own with its description.
 */
export async function choose<T extends string>(
  ctx: Pick<CommandContext, "deps" | "log">,
  question: Omit<Question<T>, "check" | "fallback">,
  choices: readonly T[],
  describe: (choice: T) => string,
): Promise<T> {
  const width = Math.max(...choices.map((c) => c.length));
  ctx.log.say(
    choices.map((c, i) => `  ${i + 1}) ${c.padEnd(width)}  ${describe(c)}`).join("\n"),
  );
  return await ask(ctx, {
    ...question,
    fallback: "1",
    check: (answer) => {
      const n = Number(answer);
      const picked = Number.isInteger(n) ? choices[n - 1] : choices.find((c) => c === answer);
      return picked ?? { retry: `answer a number from 1 to ${choices.length}, or a name` };
    },
  });
}
