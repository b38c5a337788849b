/**
 * `deno task docs`: writes the parts of docs/commands.md that come from the command table
 * (src/cli/spec.ts), as gh's manual is generated from its commands: the list of commands, the
 * global flags, and each command's `--help` text. Everything between the markers is generated;
 * everything else on the page is written by hand. tests/unit/docs_test.ts fails when the page is
 * not what this script would write.
 *
 * A command with no generated block gets one right after its heading (`### \`lmi login sso\``),
 * or, when the page has no such heading yet, a new section before the end-of-commands marker.
 *
 * @module
 */
import { join } from "node:path";
import { commandHelp } from "../src/cli/help.ts";
import { COMMANDS, type CommandSpec } from "../src/cli/spec.ts";
import { REPO } from "./run_lmi.ts";

export const COMMANDS_PAGE = join(REPO, "docs", "commands.md");

const START = "<!-- generated from src/cli/spec.ts by `deno task docs`: ";
const END = "<!-- end of generated text -->";
/** New command sections go right before this line. */
export const END_OF_COMMANDS = "<!-- end of commands: deno task docs adds new ones above -->";

/** The generated blocks by name: "index", "global flags", and one per command ("auth token"). */
export function generatedBlocks(specs: readonly CommandSpec[] = COMMANDS): Map<string, string> {
  const blocks = new Map<string, string>();
  blocks.set(
    "index",
    specs.map((c) => `- [\`${title(c)}\`](#${anchor(c)}): ${c.summary}`).join("\n"),
  );
  const sample = commandHelp(specs[0]!);
  const globals = sample.slice(sample.indexOf("Global flags:\n") + "Global flags:\n".length);
  blocks.set("global flags", fence(globals));
  for (const spec of specs) {
    const help = commandHelp(spec);
    blocks.set(spec.path.join(" "), fence(help.slice(0, help.indexOf("\nGlobal flags:\n"))));
  }
  return blocks;
}

/** `lmi auth token`: a command's heading text. */
export function title(spec: CommandSpec): string {
  return `lmi ${spec.path.join(" ")}`;
}

/** GitHub's anchor for the heading `### \`lmi auth token\``. */
function anchor(spec: CommandSpec): string {
  return title(spec).replaceAll(" ", "-");
}

function fence(text: string): string {
  return "```text\n" + text.trimEnd() + "\n```";
}

function block(name: string, body: string): string {
  return `${START}${name} -->\n\n${body}\n\n${END}`;
}

/**
 * The page with every generated block written anew from `specs`, formatted as `deno fmt` would.
 * Throws when the page has a block for a command that no longer exists, or no place for a new one.
 */
export async function renderCommandsPage(
  page: string,
  specs: readonly CommandSpec[] = COMMANDS,
): Promise<string> {
  return await formatMarkdown(renderBlocks(page, specs));
}

/** `text` as `deno fmt` formats a markdown file with this repository's settings. */
export async function formatMarkdown(text: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", `--config=${join(REPO, "deno.json")}`, "--ext=md", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  const decoder = new TextDecoder();
  if (!out.success) throw new Error(`deno fmt failed: ${decoder.decode(out.stderr)}`);
  return decoder.decode(out.stdout);
}

function renderBlocks(page: string, specs: readonly CommandSpec[]): string {
  const blocks = generatedBlocks(specs);
  const seen = new Set<string>();
  const pattern = new RegExp(`${escape(START)}(.*?) -->[\\s\\S]*?${escape(END)}`, "g");
  let out = page.replace(pattern, (_whole, name: string) => {
    const body = blocks.get(name);
    if (body === undefined) {
      throw new Error(
        `docs/commands.md has a generated block for "${name}", which src/cli/spec.ts does not ` +
          "define: remove the block (and its section)",
      );
    }
    seen.add(name);
    return block(name, body);
  });
  for (const spec of specs) {
    const name = spec.path.join(" ");
    if (seen.has(name)) continue;
    const heading = `### \`${title(spec)}\``;
    const lines = out.split("\n");
    const at = lines.indexOf(heading);
    if (at >= 0) {
      lines.splice(at + 1, 0, "", block(name, blocks.get(name)!));
    } else {
      const end = lines.indexOf(END_OF_COMMANDS);
      if (end < 0) throw new Error(`docs/commands.md has no line ${END_OF_COMMANDS}`);
      lines.splice(end, 0, heading, "", block(name, blocks.get(name)!), "");
    }
    out = lines.join("\n");
  }
  for (const name of ["index", "global flags"]) {
    if (!seen.has(name)) throw new Error(`docs/commands.md has no generated block "${name}"`);
  }
  return out;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

if (import.meta.main) {
  const page = await Deno.readTextFile(COMMANDS_PAGE);
  const next = await renderCommandsPage(page);
  if (next === page) {
    console.log("docs/commands.md is up to date with src/cli/spec.ts");
  } else {
    await Deno.writeTextFile(COMMANDS_PAGE, next);
    console.log("wrote docs/commands.md from src/cli/spec.ts");
  }
}
