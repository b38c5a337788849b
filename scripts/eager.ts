/**
 * Marking every function of a script for eager compilation, so that Deno's V8 code cache holds
 * them all (scripts/bundle.ts applies it to the warm bundle).
 *
 * V8 compiles a function when it is first called, unless the function is parenthesized (a
 * "PIFE", the heuristic that expects such functions to be called at once): those it compiles with
 * the script. Deno caches the code V8 made when it compiled a module, so lazily compiled
 * functions are compiled again on every run: measured 5-9 ms of the warm `lmi auth token` path,
 * against about 1.5 ms once compiled. So:
 *
 * - every function expression and arrow function is wrapped in parentheses (an expression in
 *   parentheses is the same expression);
 * - every function declaration at the top of a module or of a function body becomes
 *   `var f=(function f(…){…});` at the start of that body: initialized before anything in the
 *   body runs, as the declaration was. Declarations in inner blocks stay as they are.
 *
 * Methods, getters and setters cannot be parenthesized and stay lazy. The script's behaviour does
 * not change (tests/unit/eager_test.ts); only when V8 compiles its functions.
 *
 * @module
 */
import { loadAcorn } from "./build_deps.ts";

// deno-lint-ignore no-explicit-any
type Node = any;

const FUNCTION_EXPRESSIONS = new Set(["FunctionExpression", "ArrowFunctionExpression"]);

/** `src` (an ES module, strict mode) with every function marked for eager compilation. */
export async function eagerFunctions(src: string): Promise<string> {
  const acorn = await loadAcorn();
  const ast = acorn.parse(src, {
    ecmaVersion: "latest",
    sourceType: "module",
    preserveParens: true,
  });
  const bodies = new WeakSet<Node>();

  const children = (node: Node): Node[] => {
    const out: Node[] = [];
    for (const [key, value] of Object.entries(node)) {
      if (key === "type" || key === "start" || key === "end") continue;
      for (const c of Array.isArray(value) ? value : [value]) {
        if (c && typeof c === "object" && typeof c.type === "string") out.push(c);
      }
    }
    return out.sort((a, b) => a.start - b.start);
  };

  const render = (node: Node): string => {
    const scope = node.type === "Program" || bodies.has(node);
    const hoisted: string[] = [];
    let out = "";
    let at = node.start;
    for (const child of children(node)) {
      if (child.start < at) continue; // `{ a }`: key and value are one node
      out += src.slice(at, child.start);
      at = child.end;
      if (child.body?.type === "BlockStatement" && /Function/.test(child.type)) {
        bodies.add(child.body);
      }
      if (scope && child.type === "FunctionDeclaration") {
        hoisted.push(`var ${child.id.name}=(${render(child)});`);
        continue;
      }
      const method = node.type === "MethodDefinition" ||
        (node.type === "Property" && (node.method || node.kind !== "init"));
      const wrap = FUNCTION_EXPRESSIONS.has(child.type) && !method &&
        node.type !== "ParenthesizedExpression";
      out += wrap ? `(${render(child)})` : render(child);
    }
    out += src.slice(at, node.end);
    if (hoisted.length === 0) return out;
    const start = node.type === "Program" ? 0 : 1; // a body: after its "{"
    return out.slice(0, start) + hoisted.join("") + out.slice(start);
  };

  return render(ast);
}
