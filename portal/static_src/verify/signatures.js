// Signatures as reserves verify checks them: BIP-340 over the id (members/signatures.py for formats 1 to 3,
// members/signers.py and guardians.py for format 4) and the EIP-712 signature (attestation/eip712.py).

import { schnorr, secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { Problem, parseTimestamp } from "./rules.js";

const MAX_GUARDIANS = 32;
const HEX = /^[0-9a-fA-F]*$/;
const XONLY = /^[0-9a-f]{64}$/;
const EVM_SIGNATURE = /^0x[0-9a-f]{130}$/;
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_ORDER = N >> 1n;

export const bytesToHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
export function hexToBytes(hex) {
  if (typeof hex !== "string" || hex.length % 2 || !HEX.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let k = 0; k < out.length; k++) out[k] = parseInt(hex.slice(2 * k, 2 * k + 2), 16);
  return out;
}

// keys.verify_bip340_hex: never throws; wrong lengths, bad hex, points off the curve give false.
export function verifyBip340(pubkeyHex, digest32, sigHex) {
  const pub = hexToBytes(pubkeyHex);
  const sig = hexToBytes(sigHex);
  if (!pub || !sig || pub.length !== 32 || sig.length !== 64 || digest32.length !== 32) return false;
  try {
    return schnorr.verify(sig, digest32, pub);
  } catch {
    return false;
  }
}

// keys.is_xonly_pubkey: 64 lowercase hex digits naming a point on the curve.
export function isXonlyPubkey(hex) {
  if (typeof hex !== "string" || !XONLY.test(hex)) return false;
  try {
    schnorr.utils.lift_x(BigInt("0x" + hex));
    return true;
  } catch {
    return false;
  }
}

// ---- the shape of `signatures` as the JSON Schema states it (docs/attestation*.schema.json) ----
//
// The entries sit outside the id, so nothing signed covers them: without this a served document could carry
// members, labels or hex spellings `reserves verify` refuses (its `schema` check) and still pass here.
const KEY_ID = /^[A-Za-z0-9._:-]{1,64}$/;
export const ENTRY_SHAPES = {
  // alg -> the exact members the schema requires (additionalProperties: false) and their patterns.
  bip340: { key_id: KEY_ID, pubkey: /^[0-9a-f]{64}$/, sig: /^[0-9a-f]{128}$/ },
  eip712: { key_id: KEY_ID, address: /^0x[0-9a-f]{40}$/, sig: /^0x[0-9a-f]{130}$/ },
};

// The schema's problems with `signatures` ("$.signatures[i]: ..."), [] when it is valid. `algs`: the
// signature kinds the format allows (formats 1 to 3: bip340; format 4: bip340 or eip712); `maxItems`: the
// format's limit on entries, or null. (JS regular expressions without the m flag end `$` at the very end,
// as ECMA-262 patterns in a JSON Schema do.)
export function signatureShapeProblems(signatures, algs, maxItems) {
  if (!Array.isArray(signatures)) return ["$.signatures: fails 'type' (an array)"];
  const problems = [];
  if (maxItems !== null && signatures.length > maxItems) problems.push(`$.signatures: fails 'maxItems' (${maxItems})`);
  signatures.forEach((entry, i) => {
    const at = `$.signatures[${i}]`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      problems.push(`${at}: fails 'type' (an object)`);
      return;
    }
    const alg = entry.alg;
    if (typeof alg !== "string" || !algs.includes(alg)) {
      problems.push(`${at}.alg: must be ${algs.map((a) => JSON.stringify(a)).join(" or ")}`);
      return;
    }
    const shape = ENTRY_SHAPES[alg];
    for (const name of Object.keys(entry)) {
      if (name !== "alg" && !(name in shape)) problems.push(`${at}: fails 'additionalProperties' (member ${JSON.stringify(name.slice(0, 64))})`);
    }
    for (const [name, pattern] of Object.entries(shape)) {
      if (!Object.prototype.hasOwnProperty.call(entry, name)) problems.push(`${at}: fails 'required' (member ${JSON.stringify(name)})`);
      else if (typeof entry[name] !== "string") problems.push(`${at}.${name}: fails 'type' (a string)`);
      else if (!pattern.test(entry[name])) problems.push(`${at}.${name}: fails 'pattern' ${pattern.source}`);
    }
  });
  return problems;
}

export const validBip340 = (entry, digest32) => entry.alg === "bip340" && verifyBip340(entry.pubkey, digest32, entry.sig);

// ---- EIP-712 (eip712.py): domain {name, version}, no chainId; keccak256(0x1901 || domain || struct) ----

const utf8 = (s) => new TextEncoder().encode(s);
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
};
function word(value, bits) {
  const v = BigInt(value);
  if (v < 0n || v >= 1n << BigInt(bits)) throw new Problem(`value out of range for uint${bits}`);
  return hexToBytes(v.toString(16).padStart(64, "0"));
}
const STATUS_CODES = { healthy: 0, warning: 1, undercollateralized: 2, stale: 3 };
const DOMAIN_TYPE = "EIP712Domain(string name,string version)";
const ATTESTATION_TYPE =
  "Attestation(bytes32 id,uint64 sequence,uint8 status,uint256 ratioBp,uint256 reservesSat,uint256 supplySat,uint64 issuedAt)";

export function eip712Digest(attId, body) {
  const domain = keccak_256(concat(keccak_256(utf8(DOMAIN_TYPE)), keccak_256(utf8("Reserves attestation")), keccak_256(utf8("1"))));
  if (!(body.status in STATUS_CODES)) throw new Problem("unknown status");
  const struct = keccak_256(
    concat(
      keccak_256(utf8(ATTESTATION_TYPE)),
      hexToBytes(attId),
      word(body.sequence, 64),
      word(STATUS_CODES[body.status], 8),
      word(body.ratio_bp === null ? 0 : body.ratio_bp, 256),
      word(body.reserves.total_sat, 256),
      word(body.supply.total_sat, 256),
      word(parseTimestamp(body.issued_at), 64),
    ),
  );
  return keccak_256(concat(new Uint8Array([0x19, 0x01]), domain, struct));
}

// eip712.recover: the lowercase 0x address of a canonical (low s, v 27/28) signature, or null.
export function eip712Recover(attId, body, sigHex) {
  if (typeof sigHex !== "string" || !EVM_SIGNATURE.test(sigHex)) return null;
  const s = BigInt("0x" + sigHex.slice(66, 130));
  const v = parseInt(sigHex.slice(130), 16);
  if (s < 1n || s > HALF_ORDER || (v !== 27 && v !== 28)) return null;
  try {
    const rs = hexToBytes(sigHex.slice(2, 130));
    const compressed = secp256k1.recoverPublicKey(concat(new Uint8Array([v - 27]), rs), eip712Digest(attId, body), { prehash: false });
    const point = secp256k1.Point.fromBytes(compressed).toBytes(false);
    return "0x" + bytesToHex(keccak_256(point.subarray(1)).subarray(12));
  } catch {
    return null;
  }
}

// ---- guardians (members/guardians.py) ----

// GuardianSet.from_json: {threshold, keys: [[key_id, pubkey], ...]} or null; Problem when it breaks a rule.
export function guardianSetOf(value) {
  if (value === null) return null;
  const keys = value.keys.map((k) => [k.key_id, k.pubkey]);
  const n = keys.length;
  const t = value.threshold;
  if (n < 1 || n > MAX_GUARDIANS) throw new Problem(`guardians: from 1 to ${MAX_GUARDIANS} keys`);
  if (typeof t !== "number" || !Number.isInteger(t) || t < 1 || t > n) {
    throw new Problem(`guardians.threshold: must be from 1 to the number of keys (${n}), got ${t}`);
  }
  if (new Set(keys.map((k) => k[0])).size !== n) throw new Problem("guardians: key_id values must be unique");
  if (new Set(keys.map((k) => k[1])).size !== n) throw new Problem("guardians: the same pubkey is listed twice");
  const bad = keys.find((k) => !isXonlyPubkey(k[1]));
  if (bad) throw new Problem(`guardians: key '${bad[0]}' is not a BIP-340 x-only public key (64 lowercase hex)`);
  return { threshold: t, keys };
}

export function guardianSet(doc) {
  return "signers" in doc ? guardianSetOf(doc.signers.guardians) : null;
}

export const sameGuardians = (a, b) =>
  a !== null && b !== null && a.threshold === b.threshold && JSON.stringify(a.keys) === JSON.stringify(b.keys);

// Key ids of the distinct `keys` ([key_id, pubkey]) with a valid BIP-340 signature in `doc`.
export function tallyKeys(doc, attId, keys) {
  const digest32 = hexToBytes(attId);
  const members = new Map(keys.map(([k, p]) => [p, k]));
  const seen = [];
  for (const entry of doc.signatures || []) {
    const name = members.get(entry.pubkey);
    if (name !== undefined && !seen.includes(name) && validBip340(entry, digest32)) seen.push(name);
  }
  return seen;
}

function checkDeclared(signers, add) {
  let found;
  try {
    found = guardianSetOf(signers.guardians);
  } catch (exc) {
    add("guardian_set", false, exc instanceof Problem ? exc.detail : "malformed guardian set");
    return null;
  }
  if (found !== null) {
    const own = new Set([signers.engine.pubkey, ...(signers.rotation ? [signers.rotation.from.pubkey] : [])]);
    const mixed = found.keys.map((k) => k[1]).filter((p) => own.has(p)).sort();
    add("guardian_set", !mixed.length, mixed.length ? `an engine key is also a guardian: ${mixed[0].slice(0, 16)}…` : "no engine key among the guardians");
  }
  return found;
}

// The `guardians` check: the declared threshold of valid guardian signatures (final), else pending.
function checkTally(doc, attId, guardians, options, add) {
  if (guardians === null) {
    if (doc.signers.guardians !== null) return; // malformed: guardian_set already failed
    add("guardians", true, "no guardian set declared: the engine's signature makes it final");
    return;
  }
  const names = tallyKeys(doc, attId, guardians.keys);
  const text = `${names.length} of ${guardians.threshold} required (${guardians.keys.length} guardians): ${names.join(", ") || "none signed"}`;
  if (names.length >= guardians.threshold) add("guardians", true, "final: " + text);
  else if (options.allowPending) add("guardians", true, "pending (allowed): " + text);
  else add("guardians", false, "pending: " + text + " (accepting pending attestations lets it pass)");
}

// ---- trust ----

function trustedProblem(trusted) {
  return trusted === null ? "no trusted keys given" : null;
}

// Formats 1 to 3 (signatures.check): every signature valid; `require` distinct trusted valid signers.
export function checkSignaturesPlain(doc, attId, trusted, require, options, add) {
  const digest32 = hexToBytes(attId);
  const problem = trustedProblem(trusted);
  if (problem) add("trusted", false, problem);
  const good = new Set();
  doc.signatures.forEach((entry, i) => {
    const valid = verifyBip340(entry.pubkey, digest32, entry.sig);
    add(`signature[${i}]`, valid, `${entry.key_id}: ` + (valid ? "valid BIP-340" : "invalid BIP-340 signature"));
    if (problem) return;
    const label = trusted.get(entry.pubkey);
    if (label === undefined) {
      add(`trusted[${i}]`, false, `pubkey ${entry.pubkey} is not a trusted key`);
      return;
    }
    add(`trusted[${i}]`, true, `trusted key ${label}`);
    if (valid) good.add(entry.pubkey);
  });
  add("signatures", good.size >= require, `${good.size} distinct trusted valid signer(s), ${require} required`);
}

// Format 4 (signers.check): entries, engine, rotation, EIP-712, trust, guardians.
export function checkSigners(doc, attId, trusted, require, options, add) {
  const signers = doc.signers;
  const engine = signers.engine.pubkey;
  const old = signers.rotation === null ? null : signers.rotation.from.pubkey;
  const guardians = checkDeclared(signers, add);
  const guardianKeys = new Set(guardians === null ? [] : guardians.keys.map((k) => k[1]));
  const digest32 = hexToBytes(attId);
  const validKeys = new Set();
  doc.signatures.forEach((entry, i) => {
    if (entry.alg === "eip712") {
      const got = eip712Recover(attId, doc, entry.sig);
      const want = (signers.eip712 || {}).address;
      const ok = got !== null && got === entry.address && entry.address === want;
      add(`signature[${i}]`, ok, `${entry.key_id}: EIP-712 ` + (ok ? `by ${got}` : `recovers ${got}, signers.eip712 says ${want}`));
      return;
    }
    const pubkey = entry.pubkey;
    const role = pubkey === engine ? "engine" : pubkey === old ? "replaced engine key" : guardianKeys.has(pubkey) ? "guardian" : null;
    const valid = validBip340(entry, digest32);
    if (role === null) {
      const what = valid ? " (valid BIP-340; counted only by the chain's guardian check)" : ": invalid BIP-340 signature";
      add(`signature[${i}]`, valid, `${entry.key_id}: pubkey ${String(pubkey).slice(0, 16)}… is no signer this body names${what}`);
      return;
    }
    add(`signature[${i}]`, valid, `${entry.key_id} (${role}): ` + (valid ? "valid BIP-340" : "invalid BIP-340 signature"));
    if (valid) validKeys.add(pubkey);
  });
  add("engine", validKeys.has(engine), `engine key ${engine.slice(0, 16)}… ` + (validKeys.has(engine) ? "signed" : "did not sign validly"));
  if (old !== null) {
    add("rotation", validKeys.has(old) && old !== engine, `replaced key ${old.slice(0, 16)}… ` + (validKeys.has(old) ? "signed the rotation" : "did not sign"));
  }
  if (signers.eip712 !== null) {
    const found = doc.signatures.some((e) => e.alg === "eip712");
    add("eip712", found, found ? "EIP-712 signature present" : "signers.eip712 is set but no EIP-712 signature is present");
  }
  const problem = trustedProblem(trusted);
  if (problem) {
    add("trusted", false, problem);
  } else {
    const anchors = [engine, old].filter((k) => k !== null && trusted.has(k) && validKeys.has(k));
    if (anchors.length) {
      const via = anchors[0] === engine ? "the engine key" : "the replaced key (a rotation it signed)";
      add("trusted", true, `signed by ${via}, trusted as ${trusted.get(anchors[0])}`);
    } else {
      add("trusted", false, `neither the engine key ${engine} nor a replaced key is a trusted key`);
    }
    add("signatures", anchors.length >= require, `${anchors.length} distinct trusted valid signer(s), ${require} required`);
  }
  checkTally(doc, attId, guardians, options, add);
}

// signers.rotation_introduces: the new engine key a trusted replaced key handed trust to.
export function rotationIntroduces(doc, attId, trusted) {
  if (!("signers" in doc) || doc.signers.rotation === null || trusted === null) return null;
  const old = doc.signers.rotation.from.pubkey;
  if (!trusted.has(old)) return null;
  const digest32 = hexToBytes(attId);
  return doc.signatures.some((s) => s.pubkey === old && validBip340(s, digest32)) ? doc.signers.engine.pubkey : null;
}

// The engine keys of a body: `signers.engine`, or every BIP-340 signer before format 4.
export function engineKeys(doc) {
  if ("signers" in doc) return new Set([doc.signers.engine.pubkey]);
  return new Set(doc.signatures.filter((s) => s.alg === "bip340").map((s) => s.pubkey));
}
