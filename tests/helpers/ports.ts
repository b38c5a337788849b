/** Free loopback ports for servers a test starts (`deno task dev-idp --port N` uses N..N+2). */

/** A port N with N, N + 1 and N + 2 free on 127.0.0.1, as far as can be told before use. */
export function freePorts(): number {
  const free = (port: number) => {
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return true;
    } catch {
      return false;
    }
  };
  for (let tries = 0; tries < 50; tries++) {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = probe.addr;
    probe.close();
    if (port <= 65533 && free(port + 1) && free(port + 2)) return port;
  }
  throw new Error("found no three free ports in a row");
}
