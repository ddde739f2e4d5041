// Outputs of snarkjs 0.7.6 / ffjavascript's ceremony primitives for the seeds and data given in a
// JSON file (argv[2]); the Python tests compare zk.ceremony against them.
import fs from "fs";
import { ChaCha, buildBn128 } from "ffjavascript";
import { blake2b } from "@noble/hashes/blake2b";
import * as misc from "../../../node_modules/snarkjs/src/misc.js";
import * as keyPair from "../../../node_modules/snarkjs/src/keypair.js";

const spec = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const curve = await buildBn128(true);
const str = (x) => x.toString();
const g1 = (p) => curve.G1.toObject(curve.G1.toAffine(p)).slice(0, 2).map(str);
const g2 = (p) => curve.G2.toObject(curve.G2.toAffine(p)).slice(0, 2).map((c) => c.map(str));
const hex = (b) => Buffer.from(b).toString("hex");
const out = [];
for (const c of spec.cases) {
    const rng = new ChaCha(c.seed);
    const words = [];
    for (let i = 0; i < 20; i++) words.push(rng.nextU32());
    const fr = str(curve.Fr.toObject(curve.Fr.fromRng(rng)));
    const fq = str(curve.F1.toObject(curve.F1.fromRng(rng)));
    const pg1 = g1(curve.G1.fromRng(rng));
    const pg2 = g2(curve.G2.fromRng(rng));
    const h = blake2b.create({ dkLen: 64 });
    for (const chunk of c.chunks) h.update(new Uint8Array(Buffer.from(chunk, "hex")));
    const partial = hex(misc.toPartialHash(h));
    const digest = hex(h.digest());
    const challenge = new Uint8Array(Buffer.from(c.challenge, "hex"));
    const key = keyPair.createPTauKey(curve, challenge, new ChaCha(c.seed));
    const pk = {};
    for (const part of ["tau", "alpha", "beta"]) {
        pk[part] = { g1_s: g1(key[part].g1_s), g1_sx: g1(key[part].g1_sx), g2_sp: g2(key[part].g2_sp), g2_spx: g2(key[part].g2_spx) };
    }
    const h2g2 = g2(keyPair.hashToG2(curve, challenge));
    out.push({ words, fr, fq, g1: pg1, g2: pg2, partial, digest, key: pk, hash_to_g2: h2g2 });
}
console.log(JSON.stringify(out));
process.exit(0);
