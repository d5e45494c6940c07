// Property: the default pipeline keeps what the reference interpreter computes on random graphs,
// keeps the signature and weight names, leaves verify clean after every pass, and is deterministic.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { interpret } from "../interp/interp.js";
import { verify } from "../ir/verify.js";
import { DEFAULT_PIPELINE, makePass, optimize } from "./pipeline.js";
import { OP_TABLE, assertClose, buildRandomGraph, recipeArb } from "./random-graph.test-util.js";

describe("optimize on random graphs", () => {
  it("covers more than elementwise ops", () => {
    // Guards the generator itself: a table that silently lost its ops would prove nothing.
    const ops = new Set(OP_TABLE.map((e) => e.op));
    for (const op of ["add", "mul", "matmul", "softmax", "exp"]) expect(ops.has(op)).toBe(true);
  });

  it("keeps interpreter results, inputs and weight names; verify stays clean", () => {
    let changed = 0;
    fc.assert(
      fc.property(recipeArb, (recipe) => {
        const { graph, inputs, weights } = buildRandomGraph(recipe);
        const before = interpret(graph, inputs, weights);
        const printed = graph.toString();
        const opt = optimize(graph, { verify: true });
        expect(graph.toString()).toBe(printed); // passes never mutate their input
        verify(opt, "property");
        expect(opt.inputs.map((v) => `${v.type}`)).toEqual(graph.inputs.map((v) => `${v.type}`));
        const names = new Set(graph.weights().map((w) => w.name));
        for (const w of opt.weights()) expect(names.has(w.name)).toBe(true);
        assertClose(interpret(opt, inputs, weights), before);
        expect(opt.nodes.length).toBeLessThanOrEqual(graph.nodes.length);
        if (opt.nodes.length < graph.nodes.length) changed++;
        // Deterministic: the same graph optimises to the same hash.
        expect(optimize(graph).hash()).toBe(opt.hash());
      }),
      { numRuns: 150, seed: 20261126 },
    );
    expect(changed).toBeGreaterThan(40);
  });

  it("each pass alone keeps interpreter results", () => {
    for (const name of new Set(DEFAULT_PIPELINE)) {
      const pass = makePass(name);
      fc.assert(
        fc.property(recipeArb, (recipe) => {
          const { graph, inputs, weights } = buildRandomGraph(recipe);
          const out = pass.run(graph);
          verify(out, name);
          assertClose(interpret(out, inputs, weights), interpret(graph, inputs, weights));
        }),
        { numRuns: 40, seed: 7 },
      );
    }
  });
});
