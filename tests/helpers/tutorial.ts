/**
 * The README's five-minute tutorial as steps a test can run. The tutorial is the shell blocks
 * that follow a `<!-- tutorial -->` line (blank lines between are fine). Such a block holds only:
 *
 * - `deno task dev-idp ARGS`: start the development IdP (as the tutorial says, in the clone);
 * - `cd DIR`: go to the folder it wrote the config to;
 * - `lmi ARGS`: run lmi. Its exit code is 0 unless its comment begins `exit N`
 *   (`lmi auth token   # exit 3: not trusted yet`);
 *
 * and blank or comment lines. Anything else is an error naming the line, so the README cannot
 * grow a step its test does not run.
 */

export type TutorialStep =
  | { kind: "dev-idp"; args: string[]; line: string }
  | { kind: "cd"; dir: string; line: string }
  | { kind: "lmi"; args: string[]; exit: number; line: string };

const MARKER = "<!-- tutorial -->";

/** The tutorial's steps, in order. Throws on a block or line the test could not run. */
export function parseTutorial(markdown: string): TutorialStep[] {
  const lines = markdown.split("\n");
  const steps: TutorialStep[] = [];
  let blocks = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== MARKER) continue;
    let at = i + 1;
    while (at < lines.length && lines[at]!.trim() === "") at++;
    if (lines[at]?.trim() !== "```sh") {
      throw new Error(`README.md:${i + 1}: ${MARKER} is not followed by a \`\`\`sh block`);
    }
    blocks++;
    for (at++; at < lines.length && lines[at]!.trim() !== "```"; at++) {
      const step = parseLine(lines[at]!, at + 1);
      if (step) steps.push(step);
    }
    if (at >= lines.length) throw new Error(`README.md:${i + 1}: the tutorial block never ends`);
  }
  if (blocks === 0) throw new Error(`README.md has no ${MARKER} block`);
  return steps;
}

function parseLine(raw: string, lineNo: number): TutorialStep | undefined {
  const line = raw.trim();
  if (line === "" || line.startsWith("#")) return undefined;
  const hash = line.search(/\s#(\s|$)/);
  const command = (hash < 0 ? line : line.slice(0, hash)).trim();
  const comment = hash < 0 ? "" : line.slice(hash).replace(/^\s*#\s*/, "");
  const words = shellWords(command, lineNo);
  const where = `README.md:${lineNo}: "${line}"`;
  if (words[0] === "lmi") {
    const exit = comment.match(/^exit (\d+)\b/);
    return { kind: "lmi", args: words.slice(1), exit: exit ? Number(exit[1]) : 0, line };
  }
  if (words[0] === "cd" && words.length === 2) return { kind: "cd", dir: words[1]!, line };
  if (words[0] === "deno" && words[1] === "task" && words[2] === "dev-idp") {
    return { kind: "dev-idp", args: words.slice(3), line };
  }
  throw new Error(
    `${where}: a tutorial block may hold only "deno task dev-idp …", "cd DIR" and "lmi …" lines ` +
      "(tests/helpers/tutorial.ts runs them)",
  );
}

/** Words as sh splits them, for the quoting the tutorial may use ('…', "…", no expansions). */
function shellWords(command: string, lineNo: number): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === " " || c === "\t") {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'" || c === '"') {
      const end = command.indexOf(c, i + 1);
      if (end < 0) throw new Error(`README.md:${lineNo}: unbalanced ${c}`);
      word = (word ?? "") + command.slice(i + 1, end);
      i = end;
    } else if ("$`\\|;&<>(){}*?".includes(c)) {
      throw new Error(`README.md:${lineNo}: the tutorial's commands are plain words (found ${c})`);
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** `~` and `~/…` as the shell expands them, with `home` as HOME. */
export function expandHome(path: string, home: string): string {
  if (path === "~") return home;
  return path.startsWith("~/") ? `${home}/${path.slice(2)}` : path;
}
