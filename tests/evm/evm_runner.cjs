#!/usr/bin/env node
// Compiles Solidity sources with solc (solcjs), deploys them into a fresh in-memory
// @ethereumjs/evm and runs calls against them. Driven by tests/evm/runner.py: one JSON job on
// stdin, one JSON result on stdout, so that a whole test module pays node + solc start-up once.
//
// Job:
//   { "contracts": { "<label>": { "source": "...", "contract": "Groth16Verifier" } },
//     "optimizer_runs": 200,                 // optional; null disables the optimizer
//     "via_ir": false,                       // optional; compile through Yul IR
//     "calls": [ { "to": "<label>", "function": "verifyProof",   // looked up in the ABI
//                  "words": ["0x..", "123", ...],                  // static uint256 arguments
//                  "data": "0x...",                                // or raw calldata instead
//                  "gas": 10000000, "truncate": 0 } ] }    // truncate: drop bytes from the end
// Result:
//   { "compiler": "0.8.x", "hardfork": "prague", "warnings": { "<label>": ["solc message", ...] },
//     "contracts": { "<label>": { "address", "runtime_size", "deploy_gas", "methods" } },
//     "calls": [ { "reverted": bool, "error": str|null, "return_data": "0x..", "gas_used": int } ] }
// gas_used is the execution gas of the call (no 21000 intrinsic cost, no calldata cost).
"use strict";

const solc = require("solc");
const { createEVM } = require("@ethereumjs/evm");
const { Common, Hardfork, Mainnet } = require("@ethereumjs/common");
const { createAddressFromString, hexToBytes, bytesToHex } = require("@ethereumjs/util");

const HARDFORK = Hardfork.Prague;
const CALLER = createAddressFromString("0x00000000000000000000000000000000000ca11e");

function fail(message) {
  process.stdout.write(JSON.stringify({ fatal: message }));
  process.exit(1);
}

function compile(contracts, optimizerRuns, viaIR) {
  const sources = {};
  for (const [label, spec] of Object.entries(contracts)) sources[`${label}.sol`] = { content: spec.source };
  const input = {
    language: "Solidity",
    sources,
    settings: {
      optimizer: optimizerRuns === null ? { enabled: false } : { enabled: true, runs: optimizerRuns },
      evmVersion: "prague",
      viaIR: Boolean(viaIR),
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.methodIdentifiers"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  if (errors.length) fail("solc: " + errors.map((e) => e.formattedMessage).join("\n"));
  const warnings = {};
  for (const e of output.errors || []) {
    if (e.severity === "error") continue;
    const label = e.sourceLocation ? e.sourceLocation.file.replace(/\.sol$/, "") : "";
    (warnings[label] = warnings[label] || []).push(e.formattedMessage);
  }
  const compiled = {};
  for (const [label, spec] of Object.entries(contracts)) {
    const unit = (output.contracts[`${label}.sol`] || {})[spec.contract];
    if (!unit) fail(`solc: no contract ${spec.contract} in ${label}`);
    compiled[label] = unit;
  }
  return { compiled, warnings };
}

// Each call is priced as the only call of its own transaction (EIP-2929): a fresh access list in
// which the sender, the called contract and the precompiles are warm, as runTx would set it up.
// Without this, warm state would leak from one call into the next and the first call would pay
// 2600 instead of 100 for each precompile it touches.
async function startTransaction(evm, to) {
  await evm.journal.cleanup();
  evm.journal.addAlwaysWarmAddress(CALLER.toString());
  evm.journal.addAlwaysWarmAddress(to.toString());
  for (const address of evm.precompiles.keys()) evm.journal.addAlwaysWarmAddress(address);
}

function word(value) {
  const n = BigInt(value);
  if (n < 0n || n >= 1n << 256n) fail(`argument out of uint256 range: ${value}`);
  return n.toString(16).padStart(64, "0");
}

function calldata(call, unit) {
  let data;
  if (call.data !== undefined) {
    data = hexToBytes(call.data);
  } else {
    const matches = Object.entries(unit.evm.methodIdentifiers).filter(([sig]) => sig.startsWith(call.function + "("));
    if (matches.length !== 1) fail(`function ${call.function}: ${matches.length} matches in the ABI`);
    data = hexToBytes("0x" + matches[0][1] + call.words.map(word).join(""));
  }
  return data.subarray(0, data.length - (call.truncate || 0));
}

async function main() {
  const job = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const runs = job.optimizer_runs === undefined ? 200 : job.optimizer_runs;
  const { compiled, warnings } = compile(job.contracts, runs, job.via_ir);
  const common = new Common({ chain: Mainnet, hardfork: HARDFORK });
  const evm = await createEVM({ common });
  const result = { compiler: solc.version(), hardfork: HARDFORK, warnings, contracts: {}, calls: [] };
  const addresses = {};
  for (const [label, unit] of Object.entries(compiled)) {
    const deployed = await evm.runCall({ caller: CALLER, data: hexToBytes("0x" + unit.evm.bytecode.object), gasLimit: 30000000n });
    if (deployed.execResult.exceptionError || !deployed.createdAddress) {
      fail(`deploying ${label} failed: ${deployed.execResult.exceptionError && deployed.execResult.exceptionError.error}`);
    }
    addresses[label] = deployed.createdAddress;
    result.contracts[label] = {
      address: deployed.createdAddress.toString(),
      runtime_size: deployed.execResult.returnValue.length,
      deploy_gas: Number(deployed.execResult.executionGasUsed),
      methods: unit.evm.methodIdentifiers,
    };
  }
  for (const call of job.calls) {
    if (!(call.to in addresses)) fail(`call to unknown contract ${call.to}`);
    await startTransaction(evm, addresses[call.to]);
    const out = await evm.runCall({
      caller: CALLER,
      to: addresses[call.to],
      data: calldata(call, compiled[call.to]),
      gasLimit: BigInt(call.gas || 10000000),
      isStatic: false,
    });
    const error = out.execResult.exceptionError;
    result.calls.push({
      reverted: Boolean(error),
      error: error ? error.error : null,
      return_data: bytesToHex(out.execResult.returnValue),
      gas_used: Number(out.execResult.executionGasUsed),
    });
  }
  process.stdout.write(JSON.stringify(result));
}

main().catch((err) => fail(String(err && err.stack ? err.stack : err)));
