// One attestation and its link to the one before, checked as reserves verify does (verify/document.py,
// verify/chain.py, formats.py): every check by name, pass, fail or not checked, with its detail.

import { sha256 } from "@noble/hashes/sha2.js";
import { JsonError, bodyOf, domainProblem, jcs, parseJson } from "./json.js";
import { chainProviders, checkProviders } from "./providers.js";
import * as r from "./rules.js";
import * as s from "./signatures.js";
import { checkTiers } from "./tiers.js";

export const PASS = "pass";
export const FAIL = "fail";
export const SKIP = "not checked";

// Checks of the CLI this page does not repeat, and why: they stay `reserves verify`'s.
const NOT_HERE = "not recomputed in the browser: run reserves verify for it";
const SKIPPED = {
  schema:
    "signature entries and the envelope checked as the JSON Schema states them; the schema of the body (which the id covers) is not applied in the browser (reserves verify applies it)",
  counting: NOT_HERE,
  held: NOT_HERE,
  window: NOT_HERE,
  flows: NOT_HERE,
  scope: NOT_HERE,
  contracts: "derives each contract's script from its descriptor: run reserves verify for it",
};
const CHAIN_SKIPPED = { "chain.flows": NOT_HERE, "chain.window": NOT_HERE };

// `note`: the detail when there is no problem ("consistent" unless it says more).
const step = (name, run, note = () => "consistent") => ({ name, run, note });
const LINK = step("link", r.checkLink);
const TIMESTAMPS = step("timestamps", r.checkTimestamps);
const POLICY = step("policy", r.checkPolicy);
const RESERVES = step("reserves", r.checkReserves);
const SUPPLY = step("supply", r.checkSupply);
const TOTALS = step("totals", (d) => r.checkTotals(d, true));
const TOTALS_UNSPLIT = step("totals", (d) => r.checkTotals(d, false));
const RATIO = step("ratio", r.checkRatio);
const STATUS_PLAIN = step("status", r.checkStatusPlain);
const STATUS_HYSTERESIS = step("status", r.checkStatusHysteresis);
const WALLETS = step("wallets", r.checkWallets);
const VALID_AT = step("valid_at", r.checkValidAt);
const RPC = step("rpc", r.checkRpc);
const TIERS = step("tiers", checkTiers);
const PROVIDERS = step("providers", checkProviders, (d) => (d.providers === null ? "no providers declared" : "consistent"));

const COMMON = [LINK, TIMESTAMPS, POLICY, RESERVES, SUPPLY];
// formats.py's rows, in the order they list their checks (the skipped ones are named where they sit).
// `algs` and `maxItems`: what each schema allows in `signatures`.
const PLAIN = { algs: ["bip340"], maxItems: null };
export const FORMATS = {
  "reserves-attestation/1": { ...PLAIN, order: 1, signatures: s.checkSignaturesPlain, checks: [...COMMON, TOTALS_UNSPLIT, RATIO, STATUS_PLAIN] },
  "reserves-attestation/2": {
    ...PLAIN,
    order: 2,
    signatures: s.checkSignaturesPlain,
    checks: [...COMMON, TOTALS, RATIO, STATUS_PLAIN, WALLETS, "counting", VALID_AT],
  },
  "reserves-attestation/3": {
    ...PLAIN,
    order: 3,
    signatures: s.checkSignaturesPlain,
    checks: [...COMMON, TOTALS, RATIO, STATUS_PLAIN, WALLETS, "counting", VALID_AT, "held", RPC],
  },
  "reserves-attestation/4": {
    algs: ["bip340", "eip712"],
    maxItems: 64,
    order: 4,
    signatures: s.checkSigners,
    checks: [...COMMON, TOTALS, RATIO, STATUS_HYSTERESIS, WALLETS, "counting", VALID_AT, "held", RPC, "window", "flows", "scope"],
    chain: ["status_basis", "keys", "guardians"], // the chain checks of its row this page runs
  },
};
// Format 5 = format 4 + the tiers arithmetic (the contracts' scripts stay reserves verify's) + the providers'
// (and, over a chain, each provider's previous_state).
FORMATS["reserves-attestation/5"] = {
  ...FORMATS["reserves-attestation/4"],
  order: 5,
  checks: [...FORMATS["reserves-attestation/4"].checks, TIERS, "contracts", PROVIDERS],
  chain: [...FORMATS["reserves-attestation/4"].chain, "providers"],
};

export class Report {
  constructor() {
    this.checks = [];
    this.document = null; // the parsed document the checks ran on (null when unreadable)
    this.id = null; // its computed id (null when not computed)
  }
  add(name, verdict, detail) {
    this.checks.push({ name, verdict, detail });
    return verdict === PASS;
  }
  get ok() {
    return this.checks.some((c) => c.verdict === PASS) && !this.checks.some((c) => c.verdict === FAIL);
  }
}

const detailOf = (exc) => (exc instanceof r.Problem || exc instanceof JsonError ? exc.detail : `malformed document (${exc.name || "error"})`);

export function attestationId(document) {
  return s.bytesToHex(sha256(new TextEncoder().encode(jcs(bodyOf(document)))));
}

// Parse JSON text of an envelope {id, attestation} (or a bare document) into a report's json/domain checks:
// {doc, claimed} (claimed: the envelope's id, null for a bare document), or null when unreadable.
export function readDocument(text, report, prefix = "") {
  let value;
  try {
    value = parseJson(text);
  } catch (exc) {
    report.add(prefix + "json", FAIL, detailOf(exc));
    return null;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    report.add(prefix + "json", FAIL, "expected a JSON object");
    return null;
  }
  const keys = Object.keys(value);
  let claimed = null;
  if (keys.length === 2 && "id" in value && "attestation" in value) {
    claimed = value.id;
    value = value.attestation;
    if (value === null || typeof value !== "object" || Array.isArray(value) || typeof claimed !== "string") {
      report.add(prefix + "json", FAIL, "envelope needs a string id and an object attestation");
      return null;
    }
  }
  report.add(prefix + "json", PASS, claimed === null ? "bare attestation document" : "envelope with id and attestation");
  const problem = domainProblem(value);
  if (problem) {
    report.add(prefix + "domain", FAIL, problem);
    return null;
  }
  report.add(prefix + "domain", PASS, "JSON-safe values, depth <= 64");
  return { doc: value, claimed };
}

// verify_one after the domain check. `claimed`: the envelope's id (null for a bare document), which must be
// the computed id, as the CLI requires; `expectedId`: the id this page asked for (the one in its URL, or the
// `previous` the current attestation names), which must be the computed id too.
export function verifyDocument(doc, claimed, expectedId, trusted, options, report, prefix = "") {
  const add = (name, ok, detail) => report.add(prefix + name, ok ? PASS : FAIL, detail);
  const row = FORMATS[doc.format];
  if (!row) {
    add("schema", false, `$.format: ${JSON.stringify(String(doc.format).slice(0, 64))} is not a format this page knows`);
    return null;
  }
  // The schema's rules for the signature entries (outside the id): a problem stops here, as the CLI's
  // failing `schema` check does; the rest of the schema is "not checked".
  const shape = s.signatureShapeProblems(doc.signatures, row.algs, row.maxItems);
  if (shape.length) {
    add("schema", false, shape.slice(0, 10).join("; "));
    return null;
  }
  report.add(prefix + "schema", SKIP, SKIPPED.schema);
  let computed;
  try {
    computed = attestationId(doc);
  } catch (exc) {
    add("id", false, detailOf(exc));
    return null;
  }
  const wrong = [];
  if (claimed !== null && claimed !== computed) wrong.push(`the envelope says ${String(claimed).slice(0, 80)}`);
  if (computed !== expectedId) wrong.push(`the id asked for is ${expectedId}`);
  const said = claimed === null ? "no envelope id" : "the envelope's id";
  add("id", !wrong.length, `computed ${computed}` + (wrong.length ? ", but " + wrong.join(" and ") : `: ${said} and the id asked for match`));
  try {
    row.signatures(doc, computed, trusted, 1, options, add);
  } catch (exc) {
    add("signatures", false, detailOf(exc));
  }
  for (const st of row.checks) {
    if (typeof st === "string") {
      report.add(prefix + st, SKIP, SKIPPED[st]);
      continue;
    }
    let problems;
    try {
      problems = st.run(doc);
    } catch (exc) {
      problems = [detailOf(exc)];
    }
    add(st.name, problems.length === 0, problems.slice(0, 10).join("; ") || st.note(doc));
  }
  return computed;
}

// verify_chain's link checks and format 4's chain checks for `b` after `a` (both readable).
export function verifyLink(a, aId, b, bId, options, report) {
  const add = (name, ok, detail) => report.add("chain." + name, ok ? PASS : FAIL, detail);
  const fa = FORMATS[a.format];
  const fb = FORMATS[b.format];
  add("format", fb.order >= fa.order, fb.order >= fa.order ? "the format never goes back to an older one" : `sequence ${b.sequence} is ${b.format} after ${a.format}`);
  let seq = `sequences ${a.sequence}..${b.sequence} without gaps or repeats`;
  if (a.sequence === b.sequence) seq = `${aId === bId ? "duplicate" : "fork"}: sequence ${a.sequence} appears twice`;
  else if (b.sequence !== a.sequence + 1) seq = `gap: sequence ${a.sequence} is followed by ${b.sequence}`;
  add("sequence", b.sequence === a.sequence + 1, seq);
  const broken = b.sequence === a.sequence + 1 && b.previous !== aId;
  add("links", !broken, broken ? `sequence ${b.sequence}: previous ${b.previous} is not ${aId}` : "each previous is the id of the one before");
  const back = b.issued_at < a.issued_at;
  add("time", !back, back ? `sequence ${b.sequence} issued ${b.issued_at}, before ${a.issued_at}` : "issued_at never goes backwards");
  // As reserves verify, a chain check is reported when the row of either attestation has it.
  const rowsOf = (f) => f.chain || [];
  if (a.sequence === b.sequence || !(rowsOf(fa).length || rowsOf(fb).length)) return;
  const run = b.sequence === a.sequence + 1 ? a : null; // the attestation just before b, if it is one
  const rows = [
    ["status_basis", (x, y) => [r.chainStatusBasis(x, y), []], "each previous_status and previous_level is the chain's"],
    ["keys", chainKeys, "the engine key changes only by a rotation the key before signed"],
    ["guardians", chainGuardians, "guardian set changes co-signed by the set before"],
    ["providers", chainProviders, "each provider's previous_state is its state before"],
  ].filter(([name]) => rowsOf(fa).includes(name) || rowsOf(fb).includes(name));
  for (const [name, check, note] of rows) {
    if (!rowsOf(fb).includes(name) || run === null) {
      add(name, true, note); // a's own row sees no attestation before it here
      continue;
    }
    let problems;
    let pending = [];
    try {
      [problems, pending] = check(run, b, options, bId);
    } catch (exc) {
      problems = [`sequence ${b.sequence}: ${detailOf(exc)}`];
    }
    add(name, problems.length === 0, problems.slice(0, 10).join("; ") || (pending.length ? "pending (allowed): " + pending.slice(0, 10).join("; ") : note));
  }
  for (const [name, why] of Object.entries(CHAIN_SKIPPED)) report.add(name, SKIP, why);
}

function chainKeys(a, b) {
  const before = s.engineKeys(a);
  const engine = b.signers.engine.pubkey;
  const rotation = b.signers.rotation;
  if (rotation !== null && !before.has(rotation.from.pubkey)) {
    return [[`sequence ${b.sequence}: the rotation replaces ${rotation.from.pubkey.slice(0, 16)}…, which did not make the attestation before`], []];
  }
  if (rotation === null && !before.has(engine)) {
    return [[`sequence ${b.sequence}: engine key ${engine.slice(0, 16)}… differs from the one before without a rotation`], []];
  }
  return [[], []];
}

function chainGuardians(a, b, options, bId) {
  const old = s.guardianSet(a);
  const now = s.guardianSet(b);
  if (old === null || s.sameGuardians(old, now)) return [[], []];
  const signed = s.tallyKeys(b, bId, old.keys);
  if (signed.length >= old.threshold) return [[], []];
  const problem = `sequence ${b.sequence} changes the guardian set but only ${signed.length} of the ${old.threshold} guardians before co-signed it`;
  return options.allowPending ? [[], [problem]] : [[problem], []];
}

// The whole verification of the page's attestation: `current` and, when it has one, `previous`
// ({text, id}: the JSON text served and the id it must have). Like `reserves verify --previous`; a
// previous this server does not serve ({id, missing: "HTTP 404"}) leaves the chain "not checked", like
// `reserves verify` without `--previous`. The report's `document` and `id`: what was verified.
export function verifyAttestation({ current, previous, trusted, options }) {
  const report = new Report();
  const read = readDocument(current.text, report);
  if (read === null) return report;
  const doc = read.doc;
  report.document = doc;
  let trust = trusted;
  let before = null;
  const served = previous && !previous.missing;
  if (served) {
    const pread = readDocument(previous.text, report, "previous.");
    const pdoc = pread === null ? null : pread.doc;
    const pid = pread === null ? null : verifyDocument(pdoc, pread.claimed, previous.id, trust, options, report, "previous.");
    if (pid !== null) {
      before = { doc: pdoc, id: pid };
      const introduced = s.rotationIntroduces(pdoc, pid, trust);
      if (introduced !== null && !trust.has(introduced)) {
        trust = new Map(trust);
        trust.set(introduced, `rotated in at sequence ${pdoc.sequence}`);
      }
    }
  }
  const id = verifyDocument(doc, read.claimed, current.id, trust, options, report);
  report.id = id;
  if (served) {
    if (before === null || id === null) {
      const which = [before === null ? "the previous attestation" : null, id === null ? "this one" : null].filter(Boolean);
      report.add("chain", FAIL, `${which.join(" and ")} unreadable; chain not checked`);
    } else verifyLink(before.doc, before.id, doc, id, options, report);
  } else if (previous) {
    report.add("chain", SKIP, `not checked: the previous attestation is not served here (${previous.missing}); reserves verify --previous checks the link`);
  }
  return report;
}

// The `previous` id a served document names (to fetch it), or null when it names none or is unreadable.
export function previousOf(text) {
  try {
    const value = parseJson(text);
    const doc = value && value.attestation && typeof value.attestation === "object" ? value.attestation : value;
    return typeof doc.previous === "string" && /^[0-9a-f]{64}$/.test(doc.previous) ? doc.previous : null;
  } catch {
    return null;
  }
}
