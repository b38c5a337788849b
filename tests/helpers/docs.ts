/**
 * The project's documentation as the docs tests read it: README.md, CONTRIBUTING.md,
 * ARCHITECTURE.md and every page in docs/, each with its repository-relative name.
 */
import { join } from "../../src/util/path.ts";
import { REPO } from "../../scripts/run_lmi.ts";

export interface DocFile {
  /** The path from the repository's root, with `/`: "README.md", "docs/sso.md". */
  name: string;
  text: string;
}

/** Every documentation file, README first. */
export async function docFiles(): Promise<DocFile[]> {
  const names = ["README.md", "CONTRIBUTING.md", "ARCHITECTURE.md"];
  const pages: string[] = [];
  for await (const entry of Deno.readDir(join(REPO, "docs"))) {
    if (entry.isFile && entry.name.endsWith(".md")) pages.push(`docs/${entry.name}`);
  }
  names.push(...pages.sort());
  return await Promise.all(
    names.map(async (name) => ({
      name,
      text: await Deno.readTextFile(join(REPO, ...name.split("/"))),
    })),
  );
}
