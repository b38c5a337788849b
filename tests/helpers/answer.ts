/** A response read whole, for tests that talk to a server with plain fetch. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // deno-lint-ignore no-explicit-any
  json: any;
}

/** Read `res` whole: its text, and its JSON when it is JSON. */
export async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: `text` has it
  }
  return { status: res.status, headers: res.headers, text, json };
}
