// One snarkjs ceremony step timed alone inside node, for bench/bench_ceremony.py:
//
//     node bench/snarkjs_step.cjs STEP ARG...      (SNARKJS_MODULE: the snarkjs package directory)
//
// It loads the same snarkjs package as the `snarkjs` command (node_modules/snarkjs, build/main.cjs),
// builds the BN254 curve first, then times only the library call with performance.now() and
// process.cpuUsage() (user + system of the whole process, worker threads included). snarkjs gets
// its curve from ffjavascript's buildBn128, which keeps one multi-threaded curve per process
// (globalThis.curve_bn128; snarkjs never terminates it), so the call reuses the curve built
// beforehand: wasm compilation and worker start-up are outside the timed region, and are
// reported on their own as `curve`, as are node's start (`boot`) and loading snarkjs (`load`).
// Prints one JSON line; exits 1 when a verify step answers false.
"use strict";
const { performance } = require("perf_hooks");

const boot = { wall: performance.now() / 1000, cpu: cpuSeconds(process.cpuUsage()) };

function cpuSeconds(usage) {
    return (usage.user + usage.system) / 1e6;
}

async function timed(fn) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const result = await fn();
    return { result, wall: (performance.now() - start) / 1000, cpu: cpuSeconds(process.cpuUsage(cpu)) };
}

const STEPS = {
    "ptau-contribute": (s, [src, out, name, entropy]) => s.powersOfTau.contribute(src, out, name, entropy),
    "ptau-beacon": (s, [src, out, name, hash, exp]) => s.powersOfTau.beacon(src, out, name, hash, Number(exp)),
    "ptau-prepare": (s, [src, out]) => s.powersOfTau.preparePhase2(src, out),
    "ptau-verify": (s, [ptau]) => s.powersOfTau.verify(ptau),
    "groth16-setup": (s, [r1cs, ptau, out]) => s.zKey.newZKey(r1cs, ptau, out),
    "zkey-contribute": (s, [src, out, name, entropy]) => s.zKey.contribute(src, out, name, entropy),
    "zkey-beacon": (s, [src, out, name, hash, exp]) => s.zKey.beacon(src, out, name, hash, Number(exp)),
    "zkey-verify": (s, [r1cs, ptau, zkey]) => s.zKey.verifyFromR1cs(r1cs, ptau, zkey),
};

async function main() {
    const [step, ...args] = process.argv.slice(2);
    if (!STEPS[step]) throw new Error(`unknown step ${step}; one of ${Object.keys(STEPS).join(", ")}`);
    const load = await timed(async () => require(process.env.SNARKJS_MODULE || "snarkjs"));
    const snarkjs = load.result;
    const curve = await timed(() => snarkjs.curves.getCurveFromName("bn128"));
    const run = await timed(() => STEPS[step](snarkjs, args));
    const report = { step, boot, load: { wall: load.wall, cpu: load.cpu }, curve: { wall: curve.wall, cpu: curve.cpu },
                     call: { wall: run.wall, cpu: run.cpu } };
    process.stdout.write(JSON.stringify(report) + "\n");
    // Verify steps answer true or false; the worker threads would keep node alive after main.
    process.exit(run.result === false ? 1 : 0);
}

main().catch((err) => {
    process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
    process.exit(2);
});
