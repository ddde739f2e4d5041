#!/usr/bin/env node
// Compiles Solidity with the solc npm peer (solcjs): standard JSON in on stdin, standard JSON out on
// stdout. Imports such as "@openzeppelin/contracts/..." resolve against NODE_PATH (node_modules).
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const roots = (process.env.NODE_PATH || "").split(path.delimiter).filter(Boolean);

function findImports(name) {
  if (name.includes("..")) return { error: `refusing import outside node_modules: ${name}` };
  for (const root of roots) {
    const candidate = path.join(root, name);
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
  }
  return { error: `not found in node_modules: ${name}` };
}

const input = fs.readFileSync(0, "utf8");
process.stdout.write(JSON.stringify({ version: solc.version(), output: JSON.parse(solc.compile(input, { import: findImports })) }));
