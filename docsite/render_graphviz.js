// Renders Graphviz DOT to SVG at site build time with viz.js (Graphviz compiled to
// WebAssembly; see graphs.py), so no system binary is needed.
// stdin: a JSON array of DOT strings.
// stdout: a JSON array of {"svg": string} or {"error": string}, in the same order.
"use strict";
const { instance } = require("@viz-js/viz");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", async () => {
  const viz = await instance();
  const out = JSON.parse(input).map((dot) => {
    const result = viz.render(dot, { format: "svg" });
    if (result.status === "success") {
      return { svg: result.output };
    }
    return { error: result.errors.map((e) => `${e.level}: ${e.message}`).join("; ") };
  });
  process.stdout.write(JSON.stringify(out));
});
