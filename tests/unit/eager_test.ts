/**
 * scripts/eager.ts: a module whose functions are marked for eager compilation does what it did
 * (hoisting, closures, methods, generators, async), and every function that can be is
 * parenthesized.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { join } from "../../src/util/path.ts";
import { eagerFunctions } from "../../scripts/eager.ts";
import { loadAcorn } from "../../scripts/build_deps.ts";

const SOURCE = `
const counter = gen();
const early = hoisted(2) + inner();
function hoisted(n) { return n * later; }
var later = 3;
function inner() {
  const r = helper(1);
  if (r > 0) { function inBlock() { return 5; } return r + inBlock(); }
  return r;
  function helper(x) { return x + counter.next().value; }
}
function* gen() { let i = 0; while (true) yield i++; }
async function slow(x) { await null; return x * 2; }
const arrow = (a, b = (c) => c + 1) => b(a);
const named = function fact(n) { return n <= 1 ? 1 : n * fact(n - 1); };
const iife = (function () { return "iife"; })();
class Box {
  #v; static made = 0;
  constructor(v) { this.#v = v; Box.made++; }
  get value() { return this.#v; }
  map(f) { return new Box(f(this.#v)); }
  field = () => this.#v * 10;
}
const obj = { a: 1, method() { return this.a; }, get twice() { return this.a * 2; }, fn: function () { return this.a + 1; }, arrowed: () => typeof this };
const shorthand = { arrow, named };
async function run() {
  const box = new Box(4).map((x) => x + 1);
  return {
    early, later, arrow: arrow(1), named: named(5), iife, value: box.value, field: box.field(),
    made: Box.made, obj: [obj.method(), obj.twice, obj.fn(), obj.arrowed()],
    shorthand: shorthand.named(3), slow: await slow(21), gen: [counter.next().value],
    names: [hoisted.name, named.name, slow.constructor.name, gen.constructor.name],
  };
}
export { run };
`;

Deno.test("eager: the same module, with its functions parenthesized", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lmi-eager-" });
  try {
    const eager = await eagerFunctions(SOURCE);
    await Deno.writeTextFile(join(dir, "plain.js"), SOURCE);
    await Deno.writeTextFile(join(dir, "eager.js"), eager);
    const plain = await (await import(join(dir, "plain.js"))).run();
    const marked = await (await import(join(dir, "eager.js"))).run();
    assertEquals(marked, plain);

    const acorn = await loadAcorn();
    const ast = acorn.parse(eager, {
      ecmaVersion: "latest",
      sourceType: "module",
      preserveParens: true,
    });
    let functions = 0;
    const unmarked: string[] = [];
    const declarations: string[] = [];
    // deno-lint-ignore no-explicit-any
    const walk = (node: any, parent: any) => {
      if (/^(FunctionExpression|ArrowFunctionExpression)$/.test(node.type)) {
        functions++;
        const method = parent.type === "MethodDefinition" ||
          (parent.type === "Property" && (parent.method || parent.kind !== "init"));
        if (!method && parent.type !== "ParenthesizedExpression") {
          unmarked.push(eager.slice(node.start, node.start + 30));
        }
      }
      if (node.type === "FunctionDeclaration") declarations.push(node.id.name);
      for (const [k, v] of Object.entries(node)) {
        if (k === "type") continue;
        for (const c of Array.isArray(v) ? v : [v]) {
          if (c && typeof c === "object" && typeof c.type === "string") walk(c, node);
        }
      }
    };
    walk(ast, { type: "Root" });
    assert(functions > 10);
    assertEquals(unmarked, []);
    assertEquals(declarations, ["inBlock"], "only a declaration in an inner block stays");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
