// The integer rules of an attestation, as reserves/attestation/arithmetic.py and members/ (policy, supply,
// wallets, totals, reserves, status): BigInt for every amount and ratio, never floats.

export const BP_SCALE = 10000n;
export const UNDER_BP = 10000n; // UNDERCOLLATERALIZED_BELOW_BP
const SAT_PER_BTC = 100000000n;
const MAX_DECIMALS = 77;
const MAX_HYSTERESIS_BP = 5000;
const MAX_WINDOW_BLOCKS = 52560;
export const MAX_FUTURE_BLOCK_SECONDS = 7200;
const MAX_REASON = 1000;
const LOCKED = ["lockbox", "escrow"];
const RANK = { undercollateralized: 0, warning: 1, healthy: 2 };

// A rule's own refusal (InvalidInput): reported as a problem of the check that met it.
export class Problem extends Error {
  constructor(detail) {
    super(detail);
    this.detail = detail;
  }
}

// Python's repr() and str() of a JSON value, so that a problem reads as reserves verify writes it.
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u; // str.isprintable() is false (but " ")
const ESCAPED = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

function strRepr(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0);
    if (ch === quote) out += "\\" + ch;
    else if (Object.hasOwn(ESCAPED, ch)) out += ESCAPED[ch];
    else if (code < 0x20 || code === 0x7f) out += "\\x" + code.toString(16).padStart(2, "0");
    else if (code < 0x7f || !NOT_PRINTABLE.test(ch)) out += ch;
    else if (code <= 0xff) out += "\\x" + code.toString(16).padStart(2, "0");
    else if (code <= 0xffff) out += "\\u" + code.toString(16).padStart(4, "0");
    else out += "\\U" + code.toString(16).padStart(8, "0");
  }
  return out + quote;
}

export function pyRepr(v) {
  if (v === null || v === undefined) return "None";
  if (v === true || v === false) return v ? "True" : "False";
  if (typeof v === "string") return strRepr(v);
  if (Array.isArray(v)) return "[" + v.map(pyRepr).join(", ") + "]";
  if (typeof v === "object") return "{" + Object.entries(v).map(([k, x]) => `${strRepr(k)}: ${pyRepr(x)}`).join(", ") + "}";
  return String(v);
}

export const pyStr = (v) => (typeof v === "string" ? v : pyRepr(v));
const repr = (v) => pyRepr(Array.from(pyStr(v)).slice(0, 40).join(""));
// A year before 1000 is refused too: Python's strftime("%Y") does not pad it (glibc), so parse_timestamp refuses it.
const TIMESTAMP = /^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;

export function formatTimestamp(seconds) {
  return new Date(seconds * 1000).toISOString().replace(/\.[0-9]{3}Z$/, "Z");
}

// Unix seconds of the one canonical spelling `YYYY-MM-DDTHH:MM:SSZ`; Problem on any other.
export function parseTimestamp(text) {
  const ms = typeof text === "string" && TIMESTAMP.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms) || formatTimestamp(ms / 1000) !== text) {
    throw new Problem(`not a YYYY-MM-DDTHH:MM:SSZ timestamp: ${repr(text)}`);
  }
  return ms / 1000;
}

const isInt = (v) => typeof v === "number" && Number.isInteger(v);
const sumBig = (xs) => xs.reduce((a, b) => a + b, 0n);
const maxBig = (a, b) => (a > b ? a : b);

// ceil(total_supply * 10**8 / 10**decimals): liabilities are rounded up, never under-counted.
export function liabilitiesSat(totalSupply, decimals) {
  if (totalSupply < 0n) throw new Problem("total_supply must be a non-negative integer");
  if (!isInt(decimals) || decimals < 0) throw new Problem("decimals must be a non-negative integer");
  if (decimals > MAX_DECIMALS) throw new Problem(`decimals must be at most ${MAX_DECIMALS}`);
  const d = 10n ** BigInt(decimals);
  return (totalSupply * SAT_PER_BTC + d - 1n) / d;
}

// floor(reserves * 10000 / liabilities); null without liabilities.
export function ratioBp(reserves, liabilities) {
  return liabilities === 0n ? null : (reserves * BP_SCALE) / liabilities;
}

// members/policy.read + arithmetic.Policy's checks.
export function readPolicy(member) {
  const p = {
    warning_below_bp: BigInt(member.warning_below_bp),
    count_locked: "count_locked" in member ? member.count_locked : true,
    hysteresis_bp: 0n,
    window_blocks: 144,
  };
  const ranges = [];
  if ("hysteresis_bp" in member) {
    p.hysteresis_bp = BigInt(member.hysteresis_bp);
    p.window_blocks = member.window_blocks;
    ranges.push(
      ["hysteresis_bp", Number(p.hysteresis_bp), 0, MAX_HYSTERESIS_BP],
      ["window_blocks", member.window_blocks, 1, MAX_WINDOW_BLOCKS],
      ["flow_flag_bp", Number(BigInt(member.flow_flag_bp)), 1, 1000000],
      ["recent_blocks", member.recent_blocks, 1, MAX_WINDOW_BLOCKS],
    );
  }
  if (p.warning_below_bp < 0n) throw new Problem("warning_below_bp must be a non-negative integer");
  if (typeof p.count_locked !== "boolean") throw new Problem("count_locked must be true or false");
  if (p.warning_below_bp < UNDER_BP) {
    throw new Problem(`warning_below_bp must be >= ${UNDER_BP} (the undercollateralised line)`);
  }
  for (const [name, value, lo, hi] of ranges) {
    if (!isInt(value) || value < lo || value > hi) throw new Problem(`${name} must be an integer from ${lo} to ${hi}`);
  }
  return p;
}

// ---- supply (members/supply.py, held.locked_for) ----

function lockedFor(source, bridge) {
  if (source === undefined || "error" in source || !("held" in source)) return 0n;
  return sumBig(source.held.filter((h) => LOCKED.includes(h.category) && h.bridge === bridge).map((h) => BigInt(h.balance)));
}

// What read entry `d` counts: {circulating, supply_sat}, by its format's rule.
export function counted(d, byName) {
  const total = BigInt(d.total_supply);
  if (!("role" in d)) return { circulating: total, supply_sat: liabilitiesSat(total, d.decimals) };
  if (d.role === "bridge") {
    const source = byName.get(d.bridge_source);
    const locked = lockedFor(source, d.name);
    const lockedSat = locked !== 0n && source !== undefined ? liabilitiesSat(locked, source.decimals) : 0n;
    return { circulating: total, supply_sat: maxBig(liabilitiesSat(total, d.decimals), lockedSat) };
  }
  const circulating = total - sumBig(d.held.map((h) => BigInt(h.balance)));
  if (circulating < 0n) throw new Problem(`${d.name}: held balances exceed total_supply`);
  return { circulating, supply_sat: liabilitiesSat(circulating, d.decimals) };
}

const byNameOf = (entries) => new Map(entries.map((e) => [e.name, e]));
const isRead = (e) => !("error" in e);

export function supplySatTotal(deployments) {
  const byName = byNameOf(deployments);
  return sumBig(deployments.filter(isRead).map((d) => counted(d, byName).supply_sat));
}

export function checkSupply(doc) {
  const problems = [];
  const deployments = doc.supply.deployments;
  if (new Set(deployments.map((d) => d.name)).size !== deployments.length) problems.push("supply deployment names repeat");
  const byName = byNameOf(deployments);
  for (const d of deployments.filter(isRead)) {
    let expected;
    try {
      expected = counted(d, byName);
    } catch (exc) {
      if (!(exc instanceof Problem)) throw exc;
      problems.push(exc.detail);
      continue;
    }
    if ("circulating" in d && BigInt(d.circulating) !== expected.circulating) {
      problems.push(`${d.name}: circulating ${d.circulating} but the ${d.role} rule gives ${expected.circulating}`);
    }
    if (BigInt(d.supply_sat) !== expected.supply_sat) {
      const rule = "role" in d ? `the ${d.role} rule` : "ceil rounding";
      problems.push(`${d.name}: supply_sat ${d.supply_sat} but ${rule} gives ${expected.supply_sat}`);
    }
  }
  return problems;
}

export function checkRpc(doc) {
  const problems = [];
  for (const d of doc.supply.deployments.filter(isRead)) {
    const r = d.rpc;
    if (r === undefined || r === null) continue;
    if (!(1 <= r.quorum && r.quorum <= r.agreed && r.agreed <= r.answered && r.answered <= r.endpoints)) {
      problems.push(`${d.name}: rpc agreement ${r.agreed} of ${r.answered} answered (${r.endpoints} endpoints) does not meet quorum ${r.quorum}`);
    }
  }
  return problems;
}

// ---- reserves and wallets (members/reserves.py, wallets.py) ----

export function splitSat(utxos) {
  let spendable = 0n;
  let locked = 0n;
  for (const u of utxos) {
    if (u.lock === undefined || u.lock === null) spendable += BigInt(u.value_sat);
    else locked += BigInt(u.value_sat);
  }
  return [spendable, locked];
}

export function checkReserves(doc) {
  const problems = [];
  const sources = doc.reserves.sources;
  const seen = new Set();
  if (new Set(sources.map((s) => s.name)).size !== sources.length) problems.push("reserve source names repeat");
  for (const s of sources.filter(isRead)) {
    const total = sumBig(s.utxos.map((u) => BigInt(u.value_sat)));
    if (total !== BigInt(s.total_sat)) problems.push(`${s.name}: total_sat ${s.total_sat} but utxos sum to ${total}`);
    if (s.utxo_count !== s.utxos.length) problems.push(`${s.name}: utxo_count ${s.utxo_count} but ${s.utxos.length} utxos listed`);
    for (const u of s.utxos) {
      const outpoint = `${u.txid}:${u.vout}`;
      if (seen.has(outpoint)) problems.push(`${s.name}: outpoint ${outpoint} counted twice`);
      seen.add(outpoint);
    }
  }
  return problems;
}

export function checkValidAt(doc) {
  const read = doc.reserves.sources.filter(isRead);
  const tips = new Map(read.map((s) => [JSON.stringify([s.chain_id, s.height, s.block_hash]), s]));
  let expected = null;
  if (tips.size === 1) {
    const s = [...tips.values()][0];
    expected = { chain_id: s.chain_id, height: s.height, block_hash: s.block_hash };
  }
  const got = doc.reserves.valid_at;
  const same =
    got === null || expected === null
      ? got === expected
      : Object.keys(got).length === 3 && got.chain_id === expected.chain_id && got.height === expected.height && got.block_hash === expected.block_hash;
  return same ? [] : [`reserves.valid_at is not the one tip the read sources share (${JSON.stringify(expected)})`];
}

function walletTotals(utxos, names) {
  const groups = new Map(names.map((n) => [n, []]));
  for (const u of utxos) {
    if (!groups.has(u.wallet)) groups.set(u.wallet, []);
    groups.get(u.wallet).push(u);
  }
  return [...groups.keys()].sort().map((name) => {
    const [spendable, locked] = splitSat(groups.get(name));
    return {
      name,
      total_sat: String(spendable + locked),
      spendable_sat: String(spendable),
      locked_sat: String(locked),
      utxo_count: groups.get(name).length,
    };
  });
}

const WALLET_KEYS = ["name", "total_sat", "spendable_sat", "locked_sat", "utxo_count"];
const sameWallet = (a, b) => Object.keys(b).length === WALLET_KEYS.length && WALLET_KEYS.every((k) => a[k] === b[k]);

export function checkWallets(doc) {
  const problems = [];
  for (const s of doc.reserves.sources.filter(isRead)) {
    const [spendable, locked] = splitSat(s.utxos);
    if (BigInt(s.spendable_sat) !== spendable || BigInt(s.locked_sat) !== locked) {
      problems.push(`${s.name}: spendable/locked ${s.spendable_sat}/${s.locked_sat} but its utxos give ${spendable}/${locked}`);
    }
    const expected = walletTotals(s.utxos, s.wallets.map((w) => w.name));
    if (expected.length !== s.wallets.length || !expected.every((e, k) => sameWallet(e, s.wallets[k]))) {
      problems.push(`${s.name}: wallet totals differ from its utxos (unique names, sorted, every utxo's wallet listed)`);
    }
  }
  return problems;
}

// ---- totals and ratio (members/totals.py) ----

export function deriveTotals(sources, deployments, countLocked = true) {
  const readSources = sources.filter(isRead);
  const [spendable, locked] = splitSat(readSources.flatMap((s) => s.utxos));
  const reserves = spendable + (countLocked ? locked : 0n);
  const utxoCount = readSources.reduce((n, s) => n + s.utxos.length, 0);
  const supply = supplySatTotal(deployments);
  const anyFailed = readSources.length !== sources.length || deployments.filter(isRead).length !== deployments.length;
  return { reserves, spendable, locked, utxoCount, supply, ratio: anyFailed ? null : ratioBp(reserves, supply) };
}

const totalsOf = (doc) =>
  deriveTotals(doc.reserves.sources, doc.supply.deployments, "count_locked" in doc.policy ? doc.policy.count_locked : true);

export function checkTotals(doc, split = true) {
  const t = totalsOf(doc);
  const res = doc.reserves;
  const problems = [];
  if (BigInt(res.total_sat) !== t.reserves) {
    const rule = split ? " (spendable, plus locked when policy.count_locked)" : "";
    problems.push(`reserves.total_sat ${res.total_sat} but the utxos of read sources give ${t.reserves}${rule}`);
  }
  if (split) {
    for (const [key, value] of [["spendable_sat", t.spendable], ["locked_sat", t.locked]]) {
      if (BigInt(res[key]) !== value) problems.push(`reserves.${key} ${res[key]} but the utxos of read sources give ${value}`);
    }
  }
  if (res.utxo_count !== t.utxoCount) problems.push(`reserves.utxo_count ${res.utxo_count} but read sources list ${t.utxoCount}`);
  if (BigInt(doc.supply.total_sat) !== t.supply) {
    problems.push(`supply.total_sat ${doc.supply.total_sat} but read deployments round up to ${t.supply}`);
  }
  return problems;
}

export function checkRatio(doc) {
  const expected = totalsOf(doc).ratio;
  const claimed = doc.ratio_bp === null ? null : BigInt(doc.ratio_bp);
  if (claimed !== expected) {
    return [`ratio_bp ${doc.ratio_bp} but the rule gives ${expected} (floor; null if a source failed or supply is 0)`];
  }
  return [];
}

// ---- header (members/header.py) ----

export function checkLink(doc) {
  return (doc.sequence === 0) === (doc.previous === null) ? [] : [`sequence ${doc.sequence} with previous ${doc.previous}`];
}

export function checkTimestamps(doc) {
  const moments = [doc.issued_at];
  for (const e of [...doc.reserves.sources, ...doc.supply.deployments]) if ("block_time" in e) moments.push(e.block_time);
  const problems = [];
  for (const text of moments) {
    try {
      parseTimestamp(text);
    } catch (exc) {
      if (!(exc instanceof Problem)) throw exc;
      problems.push(exc.detail);
    }
  }
  return problems;
}

export function checkPolicy(doc) {
  readPolicy(doc.policy);
  return [];
}

// ---- status (arithmetic.decide_status, members/status.py) ----

function observations(doc) {
  const one = (label) => (e) =>
    "error" in e
      ? { label, name: e.name, error_code: e.error.code }
      : { label, name: e.name, block_time: parseTimestamp(e.block_time), max_age_seconds: e.max_age_seconds };
  return [...doc.reserves.sources.map(one("reserve source")), ...doc.supply.deployments.map(one("supply deployment"))];
}

function staleReasons(issued, obs) {
  const reasons = [];
  for (const ob of obs) {
    if (ob.error_code !== undefined && ob.error_code !== null) {
      reasons.push(`${ob.label} ${ob.name}: failed (${ob.error_code})`);
      continue;
    }
    if (ob.block_time < issued - ob.max_age_seconds) {
      reasons.push(`${ob.label} ${ob.name}: block_time ${formatTimestamp(ob.block_time)} is older than max_age_seconds ${ob.max_age_seconds}`);
    } else if (ob.block_time > issued + MAX_FUTURE_BLOCK_SECONDS) {
      reasons.push(
        `${ob.label} ${ob.name}: block_time ${formatTimestamp(ob.block_time)} is in the future, more than ${MAX_FUTURE_BLOCK_SECONDS} seconds after issued_at`,
      );
    }
  }
  return reasons;
}

const RATIO_MISSING = "ratio missing although every source was read and supply is positive";

function decidePlain(issued, obs, ratio, liabilities, policy) {
  const stale = staleReasons(issued, obs);
  if (stale.length === 0 && liabilities > 0n && ratio === null) throw new Problem(RATIO_MISSING);
  let level = "healthy";
  let low = [];
  if (ratio !== null && ratio < UNDER_BP) {
    level = "undercollateralized";
    low = [`ratio ${ratio} bp is below ${UNDER_BP} bp`];
  } else if (ratio !== null && ratio < policy.warning_below_bp) {
    level = "warning";
    low = [`ratio ${ratio} bp is below the warning line ${policy.warning_below_bp} bp`];
  }
  return stale.length ? ["stale", [...stale, ...low]] : [level, low];
}

const sameList = (a, b) => Array.isArray(a) && a.length === b.length && a.every((x, k) => x === b[k]);
const cut = (text) => Array.from(text).slice(0, MAX_REASON).join("");

export function checkStatusPlain(doc) {
  const policy = readPolicy(doc.policy);
  const t = deriveTotals(doc.reserves.sources, doc.supply.deployments, policy.count_locked);
  const [status, reasons] = decidePlain(parseTimestamp(doc.issued_at), observations(doc), t.ratio, t.supply, policy);
  const problems = [];
  if (doc.status !== status) problems.push(`status ${doc.status} but the rule gives ${status}`);
  if (!sameList(doc.status_reasons, reasons)) problems.push(`status_reasons differ from the rule's: ${JSON.stringify(reasons)}`);
  return problems;
}

function bandReason(ratio, line, band, previousLevel, level) {
  const before = previousLevel ? `was ${previousLevel}` : "no level before";
  return `ratio ${ratio} bp is above ${line} bp but within the hysteresis band of ${band} bp (${before}): stays ${level} until ${line + band} bp`;
}

function ratioLevel(ratio, policy, previousLevel) {
  const under = UNDER_BP;
  const warn = policy.warning_below_bp;
  const band = policy.hysteresis_bp;
  const prev = RANK[previousLevel || ""] ?? 0;
  if (ratio < under) return ["undercollateralized", [`ratio ${ratio} bp is below ${under} bp`]];
  if (ratio < warn) {
    if (prev >= RANK.warning || ratio >= under + band) return ["warning", [`ratio ${ratio} bp is below the warning line ${warn} bp`]];
    return ["undercollateralized", [bandReason(ratio, under, band, previousLevel, "undercollateralized")]];
  }
  if (prev >= RANK.healthy || ratio >= warn + band) return ["healthy", []];
  if (prev >= RANK.warning || ratio >= under + band) return ["warning", [bandReason(ratio, warn, band, previousLevel, "warning")]];
  return ["undercollateralized", [bandReason(ratio, under, band, previousLevel, "undercollateralized")]];
}

function decideV4(doc, policy, previousLevel) {
  const t = deriveTotals(doc.reserves.sources, doc.supply.deployments, policy.count_locked);
  const stale = staleReasons(parseTimestamp(doc.issued_at), observations(doc));
  if (stale.length === 0 && t.supply > 0n && t.ratio === null) throw new Problem(RATIO_MISSING);
  let [level, reasons] = t.ratio === null ? [null, []] : ratioLevel(t.ratio, policy, previousLevel);
  const w = doc.window;
  const low = w === null || w.min_ratio_bp === null ? null : BigInt(w.min_ratio_bp);
  if (level === "healthy" && low !== null && low < UNDER_BP) {
    level = "warning";
    const where = w.min_sequence === null ? "" : ` at sequence ${w.min_sequence}`;
    reasons = [`the ratio was ${low} bp${where}, below ${UNDER_BP} bp, within the last ${policy.window_blocks} blocks`];
  }
  if (stale.length) return { status: "stale", reasons: [...stale, ...reasons], level };
  return { status: level || "healthy", reasons, level };
}

function statusBasis(result, previousStatus) {
  const changed = result.status !== previousStatus;
  let reason = null;
  if (changed) {
    const why = result.reasons.length ? result.reasons[0] : "every source was read and the ratio clears every line";
    reason = cut(`${previousStatus || "none"} -> ${result.status}: ${why}`);
  }
  return { level: result.level, changed, change_reason: reason };
}

export function checkStatusHysteresis(doc) {
  const policy = readPolicy(doc.policy);
  const basis = doc.status_basis;
  const result = decideV4(doc, policy, basis.previous_level);
  const problems = [];
  if (doc.status !== result.status) problems.push(`status ${doc.status} but the rule gives ${result.status}`);
  if (!sameList(doc.status_reasons, result.reasons.map(cut))) {
    problems.push(`status_reasons differ from the rule's: ${JSON.stringify(result.reasons)}`);
  }
  const expected = statusBasis(result, basis.previous_status);
  for (const key of ["level", "changed", "change_reason"]) {
    if (basis[key] !== expected[key]) problems.push(`status_basis.${key} ${JSON.stringify(basis[key])} but the rule gives ${JSON.stringify(expected[key])}`);
  }
  if ((doc.sequence === 0) !== (basis.previous_status === null)) {
    problems.push("status_basis.previous_status must be null exactly when sequence is 0");
  }
  if (doc.sequence === 0 && basis.previous_level !== null) problems.push("status_basis.previous_level must be null at sequence 0");
  return problems;
}

export function carriedLevel(previous) {
  const basis = previous.status_basis;
  if (basis !== null && typeof basis === "object") return basis.level || basis.previous_level || null;
  return previous.status in RANK ? previous.status : null;
}

// chain.status_basis: previous_status and previous_level are those of the attestation before.
export function chainStatusBasis(a, b) {
  const basis = b.status_basis;
  const problems = [];
  if (basis.previous_status !== a.status) {
    problems.push(`sequence ${b.sequence}: previous_status ${basis.previous_status} but sequence ${a.sequence} is ${a.status}`);
  }
  if (basis.previous_level !== carriedLevel(a)) {
    problems.push(`sequence ${b.sequence}: previous_level ${basis.previous_level} but the chain carries ${carriedLevel(a)}`);
  }
  return problems;
}
