/**
 * The docs are tested (DESIGN.md, Testing): every complete `toml` example in the README and docs/
 * is a config lmi accepts; every relative link in the README, docs/, CONTRIBUTING.md and
 * ARCHITECTURE.md resolves, `#anchor` included; docs/commands.md is what `deno task docs` writes
 * from the command table; the README links every docs/ page and each page links back; and the
 * README's tutorial is made of steps its test can run (tests/e2e/readme_tutorial_test.ts runs
 * them).
 */
import { dirname, join, normalize } from "node:path";
import { assert, assertEquals } from "../helpers/assert.ts";
import { type DocFile, docFiles } from "../helpers/docs.ts";
import { parseTutorial } from "../helpers/tutorial.ts";
import { parseConfigText } from "../../src/config/load.ts";
import { COMMANDS_PAGE, END_OF_COMMANDS, renderCommandsPage } from "../../scripts/docs.ts";
import { COMMANDS } from "../../src/cli/spec.ts";
import { REPO } from "../../scripts/run_lmi.ts";
import { devIdpUsers } from "../../scripts/dev_idp/users.ts";

const docs = await docFiles();
const FRAGMENT = "<!-- toml: fragment -->";

interface CodeBlock {
  lang: string;
  /** 1-based line of the opening fence. */
  line: number;
  text: string;
  /** The nearest non-blank line above the fence. */
  before: string;
}

/** The fenced code blocks of a markdown file, list-indented ones included. */
function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i]!.match(/^(\s*)(`{3,})(\S*)\s*$/);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() !== fence) {
      body.push(lines[j]!.slice(indent!.length));
      j++;
    }
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === "") k--;
    blocks.push({
      lang: lang!,
      line: i + 1,
      text: body.join("\n"),
      before: lines[k]?.trim() ?? "",
    });
    i = j;
  }
  return blocks;
}

/** The markdown outside code blocks and inline code, where links and headings are. */
function prose(markdown: string): string[] {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split("\n")) {
    const marker = line.match(/^\s*(`{3,})/)?.[1];
    if (fence !== undefined) {
      if (marker === fence && line.trim() === fence) fence = undefined;
      out.push("");
    } else if (marker) {
      fence = marker;
      out.push("");
    } else {
      out.push(line.replace(/(`+)(?:(?!\1).)+?\1/g, ""));
    }
  }
  return out;
}

/** GitHub's anchors for a file's headings: lower case, punctuation dropped, spaces as `-`. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  let fence: string | undefined;
  for (const line of markdown.split("\n")) {
    const marker = line.match(/^\s*(`{3,})/)?.[1];
    if (fence !== undefined) {
      if (marker === fence && line.trim() === fence) fence = undefined;
      continue;
    }
    if (marker) {
      fence = marker;
      continue;
    }
    const heading = line.match(/^#{1,6}\s+(.*?)\s*#*\s*$/);
    if (!heading) continue;
    const text = heading[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1") // a link's text
      .replace(/<[^>]+>/g, "") // inline HTML
      .replace(/`/g, "");
    const base = text.toLowerCase().replace(/[^\p{L}\p{N}\p{M} _-]/gu, "").replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  return result;
}

/** The targets of a file's markdown links (`[text](target)`), with their line numbers. */
function links(markdown: string): Array<{ target: string; line: number }> {
  const found: Array<{ target: string; line: number }> = [];
  prose(markdown).forEach((line, i) => {
    for (const m of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      found.push({ target: m[1]!, line: i + 1 });
    }
  });
  return found;
}

function isRelative(target: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(target);
}

function byName(name: string): DocFile {
  const doc = docs.find((d) => d.name === name);
  assert(doc, `${name} exists`);
  return doc;
}

Deno.test("docs: every complete toml example is a config lmi accepts", async (t) => {
  let checked = 0;
  for (const { name, text } of docs) {
    for (const block of codeBlocks(text).filter((b) => b.lang === "toml")) {
      if (block.before === FRAGMENT) continue;
      await t.step(`${name}:${block.line}`, async () => {
        try {
          await parseConfigText(block.text, `${name}:${block.line}`);
        } catch (err) {
          throw new Error(
            `${name}:${block.line}: lmi refuses this example (mark a partial one with ` +
              `${FRAGMENT} on the line before): ${err instanceof Error ? err.message : err}`,
          );
        }
      });
      checked++;
    }
  }
  assert(checked >= 10, `only ${checked} toml examples found: is the pattern stale?`);
});

Deno.test("docs: a fragment marker stands right before a toml block", () => {
  for (const { name, text } of docs) {
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      if (line.trim() !== FRAGMENT) return;
      const next = lines.slice(i + 1).find((l) => l.trim() !== "");
      assertEquals(next?.trim(), "```toml", `${name}:${i + 1}: ${FRAGMENT} marks the next block`);
    });
  }
});

Deno.test("docs: every relative link resolves, #anchor included", async (t) => {
  const anchorsOf = new Map<string, Set<string>>();
  const anchorsIn = async (path: string) => {
    let set = anchorsOf.get(path);
    if (!set) anchorsOf.set(path, set = anchors(await Deno.readTextFile(path)));
    return set;
  };
  let checked = 0;
  for (const { name, text } of docs) {
    await t.step(name, async () => {
      const problems: string[] = [];
      for (const { target, line } of links(text).filter((l) => isRelative(l.target))) {
        checked++;
        const [path, anchor] = target.split("#", 2) as [string, string | undefined];
        const file = path === ""
          ? join(REPO, name)
          : normalize(join(REPO, dirname(name), decodeURIComponent(path)));
        if (!file.startsWith(REPO)) {
          problems.push(`${name}:${line}: ${target} leaves the repository`);
          continue;
        }
        let info: Deno.FileInfo;
        try {
          info = await Deno.stat(file);
        } catch {
          problems.push(`${name}:${line}: ${target}: no such file`);
          continue;
        }
        if (anchor === undefined) continue;
        if (!info.isFile || !file.endsWith(".md")) {
          problems.push(`${name}:${line}: ${target}: an anchor into something not markdown`);
        } else if (!(await anchorsIn(file)).has(anchor)) {
          problems.push(`${name}:${line}: ${target}: no heading makes #${anchor}`);
        }
      }
      assertEquals(problems, []);
    });
  }
  assert(checked >= 100, `only ${checked} relative links found: is the pattern stale?`);
});

Deno.test("docs: GitHub's heading anchors, as the link check computes them", () => {
  const page = [
    "# lmi",
    "## Trust: which config files lmi uses",
    '## Credential processes (`type = "command"`)',
    "## lmi's own files",
    "### `lmi NAME` (plugins)",
    "## Secrets and `.env` files",
    "## Examples",
    "## Examples",
    "```sh",
    "# not a heading",
    "```",
  ].join("\n");
  assertEquals([...anchors(page)], [
    "lmi",
    "trust-which-config-files-lmi-uses",
    "credential-processes-type--command",
    "lmis-own-files",
    "lmi-name-plugins",
    "secrets-and-env-files",
    "examples",
    "examples-1",
  ]);
});

Deno.test("docs: the README links every page in docs/, and every page links back", () => {
  const readmeLinks = new Set(links(byName("README.md").text).map((l) => l.target.split("#")[0]));
  for (const { name, text } of docs.filter((d) => d.name.startsWith("docs/"))) {
    assert(readmeLinks.has(name), `README.md links ${name}`);
    const targets = links(text).map((l) => l.target.split("#")[0]);
    assert(targets.includes("../README.md"), `${name} links back to the README`);
    assert(
      targets.some((t) => t!.endsWith(".md") && t !== "../README.md"),
      `${name} links a related page`,
    );
  }
});

Deno.test("docs/commands.md is what `deno task docs` writes from src/cli/spec.ts", async () => {
  const page = await Deno.readTextFile(COMMANDS_PAGE);
  const generated = await renderCommandsPage(page);
  assert(
    generated === page,
    "docs/commands.md differs from the command table (src/cli/spec.ts): run deno task docs",
  );
});

Deno.test("README: the tutorial is made of steps its test runs", () => {
  const steps = parseTutorial(byName("README.md").text);
  const kinds = steps.map((s) => s.kind);
  assertEquals(kinds[0], "dev-idp", "it starts the development IdP first");
  assertEquals(kinds.filter((k) => k === "dev-idp").length, 1);
  const start = steps[0] as Extract<(typeof steps)[0], { kind: "dev-idp" }>;
  const dir = start.args[start.args.indexOf("--write-config") + 1];
  assert(dir, "the IdP writes the config (--write-config DIR)");
  assertEquals(steps[1], { kind: "cd", dir, line: `cd ${dir}` }, "then goes there");
  const lmi = steps.filter((s) => s.kind === "lmi").map((s) => s.args.join(" "));
  for (const command of ["trust --show", "trust", "auth token", "login sso --device"]) {
    assert(lmi.includes(command), `the tutorial runs lmi ${command}`);
  }
  assert(lmi.some((c) => c.startsWith("request ")), "the tutorial calls the API");
  assert(lmi.some((c) => c.startsWith("logout")), "the tutorial logs out");
});

Deno.test("README: the tutorial's user and password are the development IdP's", () => {
  const readme = byName("README.md").text;
  const { alice } = devIdpUsers();
  assert(readme.includes(`\`${alice.username}\``), "the README names the user");
  assert(readme.includes(`\`${alice.password}\``), "the README gives the user's password");
});

Deno.test("README: at most ~350 lines, for a newcomer", () => {
  const lines = byName("README.md").text.split("\n").length;
  assert(lines <= 360, `README.md has ${lines} lines: move reference text to docs/`);
});

Deno.test("deno task docs: a new command's block goes under its heading, or at the end", async () => {
  const page = await Deno.readTextFile(COMMANDS_PAGE);
  const init = { ...COMMANDS[0]!, path: ["init"], summary: "write a starter lmi.toml" };
  const withInit = await renderCommandsPage(page, [...COMMANDS, init]);
  const lines = withInit.split("\n");
  const heading = lines.indexOf("### `lmi init`");
  assert(heading >= 0);
  assert(lines[heading + 2]!.includes("by `deno task docs`: init -->"), "the block follows it");
  assert(withInit.includes("- [`lmi init`](#lmi-init): write a starter lmi.toml"), "indexed");

  const other = { ...COMMANDS[0]!, path: ["frobnicate"], summary: "frobnicate" };
  const withOther = await renderCommandsPage(page, [...COMMANDS, other]);
  const end = withOther.indexOf(END_OF_COMMANDS);
  const added = withOther.indexOf("### `lmi frobnicate`");
  assert(added >= 0 && added < end, "a new section before the end-of-commands line");
});
